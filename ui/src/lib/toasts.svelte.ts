// Toasts as App Connect shows returnMessage: coloured by messageType, gone after ttl ms, with the
// message's details, and a badge when the real client's default filter would hide it. Every toast
// expires (errors after ERROR_TTL, as a ttl of 0 asks for "stays a while"), except while the
// person holds the stack (pointer over it, or the "+N more" list open); Escape closes the newest.
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
  /** A toast with the same key replaces this one (one toast per event, e.g. "profile"). */
  key: string | null;
}

const DEFAULT_TTL = 5000;
/** How long an error (or any toast asked to stay, ttl 0) stays when nobody holds the stack. */
export const ERROR_TTL = 12000;
const SHOWN_BY_CLIENT = ["success", "warning", "error"];
let next = 1;

/** `space`: the height the stack takes at the bottom of the page; the page reserves it (App). */
export const toasts = $state<{ list: Toast[]; held: boolean; space: number }>({ list: [], held: false, space: 0 });

// Each toast's timer, and the time it has left when the stack is held.
const timers = new Map<number, { handle: ReturnType<typeof setTimeout> | null; left: number; since: number }>();

export function dismiss(id: number) {
  const t = timers.get(id);
  if (t?.handle) clearTimeout(t.handle);
  timers.delete(id);
  toasts.list = toasts.list.filter((x) => x.id !== id);
}

/** Closes the newest toast; false when there is none. */
export function dismissNewest(): boolean {
  const last = toasts.list.at(-1);
  if (!last) return false;
  dismiss(last.id);
  return true;
}

function arm(id: number) {
  const t = timers.get(id);
  if (!t || t.handle || toasts.held) return;
  t.since = Date.now();
  t.handle = setTimeout(() => dismiss(id), Math.max(0, t.left));
}

/** While held (hovered, or the full list open), no toast expires; released, each gets its time left. */
export function hold(on: boolean) {
  if (toasts.held === on) return;
  toasts.held = on;
  for (const [id, t] of timers) {
    if (on && t.handle) {
      clearTimeout(t.handle);
      t.handle = null;
      t.left -= Date.now() - t.since;
      // A toast about to go gets a moment to be read when the pointer leaves.
      t.left = Math.max(t.left, 1500);
    } else if (!on) {
      arm(id);
    }
  }
}

function push(t: Omit<Toast, "id">) {
  const id = next++;
  if (t.key) for (const old of toasts.list.filter((x) => x.key === t.key)) dismiss(old.id);
  const ttl = t.ttl > 0 ? t.ttl : ERROR_TTL;
  toasts.list = [...toasts.list, { ...t, ttl, id }];
  timers.set(id, { handle: null, left: ttl, since: Date.now() });
  arm(id);
}

/** Switchboard's own notices. `ttl` 0 = an error's longer time. `key`: replaces the toast with that key. */
export function toast(kind: string, message: string, ttl = DEFAULT_TTL, key: string | null = null) {
  push({ kind, message, ttl, details: [], hiddenInClient: false, key });
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
    key: null,
  });
}
