// Toasts as App Connect shows returnMessage: coloured by messageType, gone after ttl ms (0 stays),
// with the message's details, and a badge when the real client's default filter would hide it.
import type { ReturnMessage } from "./bindings/ReturnMessage";

export interface DetailItem {
  id?: string;
  type?: string;
  text?: string;
  href?: string;
}

export interface DetailSection {
  title?: string;
  items?: DetailItem[];
}

export interface Toast {
  id: number;
  kind: string;
  message: string;
  ttl: number;
  details: DetailSection[];
  /** The real client shows only success, warning and error by default. */
  hiddenInClient: boolean;
}

const DEFAULT_TTL = 5000;
const SHOWN_BY_CLIENT = ["success", "warning", "error"];
let next = 1;

export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function dismiss(id: number) {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}

function push(t: Omit<Toast, "id">) {
  const id = next++;
  toasts.list = [...toasts.list, { ...t, id }];
  if (t.ttl > 0) setTimeout(() => dismiss(id), t.ttl);
}

/** Switchboard's own notices. */
export function toast(kind: string, message: string, ttl = DEFAULT_TTL) {
  push({ kind, message, ttl, details: [], hiddenInClient: false });
}

/** Shows a connector's returnMessage the way the real client would. */
export function toastReturnMessage(m: ReturnMessage | null | undefined) {
  if (!m || !m.message) return;
  const kind = m.messageType ?? "none";
  push({
    kind,
    message: m.message,
    ttl: typeof m.ttl === "number" ? m.ttl : DEFAULT_TTL,
    details: Array.isArray(m.details) ? (m.details as DetailSection[]) : [],
    hiddenInClient: !SHOWN_BY_CLIENT.includes(kind),
  });
}
