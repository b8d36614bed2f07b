// Toasts as App Connect shows returnMessage: coloured by messageType, gone after ttl ms (0 stays).
import type { ReturnMessage } from "./types";

export interface Toast {
  id: number;
  kind: string;
  message: string;
  ttl: number;
}

const DEFAULT_TTL = 5000;
let next = 1;

export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function dismiss(id: number) {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}

export function toast(kind: string, message: string, ttl = DEFAULT_TTL) {
  const id = next++;
  toasts.list = [...toasts.list, { id, kind, message, ttl }];
  if (ttl > 0) setTimeout(() => dismiss(id), ttl);
}

/** Shows a connector's returnMessage the way the real client would. */
export function toastReturnMessage(m: ReturnMessage | null | undefined) {
  if (!m || !m.message) return;
  toast(m.messageType ?? "none", m.message, m.ttl ?? DEFAULT_TTL);
}
