// Demo mode: phone numbers and contact names are masked on screen, for sharing a screen with a
// CRM partner. Only what is shown changes; requests, history and reports are untouched.
const KEY = "switchboard.demoMode";

export const demo = $state({ on: localStorage.getItem(KEY) === "1" });

export function setDemo(on: boolean) {
  demo.on = on;
  localStorage.setItem(KEY, on ? "1" : "0");
}

// The client's own "Create new contact..." row: an action, not a person, so never masked.
export const CREATE_ROW_NAME = "Create new contact...";
const isCreateRow = (n: string) => n.trim() === CREATE_ROW_NAME;

// Names seen in lookups this session, so they are masked wherever they appear in free text.
// `known.count` makes text already on screen re-mask when a name is learnt after it was drawn.
const names = new Set<string>();
const known = $state({ count: 0 });

export function rememberNames(list: (string | null | undefined)[]) {
  for (const n of list) if (n && n.trim().length >= 3 && !isCreateRow(n)) names.add(n.trim());
  if (names.size !== known.count) known.count = names.size;
}

function maskWords(n: string): string {
  return n.replace(/\p{L}[\p{L}'’-]*/gu, (w) => w[0] + "•".repeat(Math.max(2, w.length - 1)));
}

/** A contact name: initials kept, the rest dotted. `createRow`: the contact is the client's
 * "Create new contact..." row (whatever the connector called it), shown as is. */
export function name(n: string | null | undefined, createRow = false): string {
  if (n == null) return "";
  if (!demo.on || createRow || isCreateRow(n)) return n;
  return maskWords(n);
}

/** A phone number being typed: every digit but the last two dotted, one character for one, so a
 * caret position in the masked text is the same position in the real one (see PhoneField). */
export function typedNumber(s: string): string {
  const total = (s.match(/\d/g) ?? []).length;
  let seen = 0;
  return s.replace(/\d/g, (d) => (++seen > total - 2 ? d : "•"));
}

/** A name being typed: each word's first letter kept, its other letters dotted, one character
 * for one (so `maskedEdit` can map the caret). */
export function typedName(s: string): string {
  return s.replace(/(\p{L})([\p{L}'’-]*)/gu, (_m, first: string, rest: string) => first + "•".repeat(rest.length));
}

/** An edit in a field that shows `mask(value)` (`typedNumber` by default, or `typedName`): applied
 * to the real value, which is returned; the field is re-masked with the caret kept. The text after
 * the caret is what was kept, the common start with the old text too, and what lies between was
 * typed. */
export function maskedEdit(e: Event, value: string, mask: (s: string) => string = typedNumber): string {
  const el = e.currentTarget as HTMLInputElement;
  const now = el.value;
  const before = mask(value);
  const caret = el.selectionStart ?? now.length;
  const kept = now.length - caret; // characters after the caret, unchanged
  let start = 0;
  const limit = Math.min(caret, before.length - kept);
  while (start < limit && now[start] === before[start]) start++;
  const typed = now.slice(start, caret);
  const next = value.slice(0, start) + typed + value.slice(value.length - kept);
  const masked = mask(next);
  if (el.value !== masked) {
    el.value = masked;
    el.setSelectionRange(start + typed.length, start + typed.length);
  }
  return next;
}

// A run of digits with separators, as typed (+1 (415) 555-0100) or percent-encoded in a URL
// (%2B1%20415%20555-0100): masked when it holds 7 or more digits. The escapes' own digits are
// not counted and kept.
const PHONE = /(?:%2[bB]|\+)?\d(?:[\d\s().+-]|%2[0bBdD89])*\d/g;
const ESCAPE = /(%2[0-9a-fA-F])/;

function maskRun(run: string): string {
  const parts = run.split(ESCAPE);
  const total = parts.filter((_, i) => i % 2 === 0).join("").replace(/\D/g, "").length;
  if (total < 7) return run;
  let seen = 0;
  return parts.map((part, i) => (i % 2 ? part : part.replace(/\d/g, (d) => (++seen > total - 2 ? d : "•")))).join("");
}

/** Free text (a URL, a body, a summary): phone-like digit runs and known names masked. */
export function text(s: string | null | undefined): string {
  if (s == null) return "";
  if (!demo.on) return s;
  void known.count;
  let out = s.replace(PHONE, maskRun);
  out = out.replace(/("(?:name|callerName|contactName|newContactName|firstName|lastName|fullName)"\s*:\s*")([^"]*)(")/g, (m, a, v, b) =>
    isCreateRow(v) ? m : a + maskWords(v) + b,
  );
  // Form-encoded names (newContactName=Jane+Doe in a query or body).
  out = out.replace(/((?:^|[?&])(?:name|callerName|contactName|newContactName)=)([^&\s]*)/g, (_m, a, v) => a + maskWords(v));
  for (const n of [...names].sort((a, b) => b.length - a.length)) out = out.split(n).join(maskWords(n));
  return out;
}
