// Demo mode: phone numbers and contact names are masked on screen, for sharing a screen with a
// CRM partner. Only what is shown changes; requests, history and reports are untouched.
const KEY = "switchboard.demoMode";

export const demo = $state({ on: localStorage.getItem(KEY) === "1" });

export function setDemo(on: boolean) {
  demo.on = on;
  localStorage.setItem(KEY, on ? "1" : "0");
}

// Names seen in lookups this session, so they are masked wherever they appear in free text.
const names = new Set<string>();

export function rememberNames(list: (string | null | undefined)[]) {
  for (const n of list) if (n && n.trim().length >= 3 && n !== "Create new contact...") names.add(n.trim());
}

function maskDigits(run: string): string {
  const total = (run.match(/\d/g) ?? []).length;
  let seen = 0;
  return run.replace(/\d/g, (d) => (++seen > total - 2 ? d : "•"));
}

function maskWords(n: string): string {
  return n.replace(/\p{L}[\p{L}'’-]*/gu, (w) => w[0] + "•".repeat(Math.max(2, w.length - 1)));
}

/** A contact name: initials kept, the rest dotted. */
export function name(n: string | null | undefined): string {
  if (n == null) return "";
  if (!demo.on || n === "Create new contact...") return n;
  return maskWords(n);
}

// A run of 7 or more digits, possibly with separators, as in +1 (415) 555-0100 or %2B14155550100.
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;

/** Free text (a URL, a body, a summary): phone-like digit runs and known names masked. */
export function text(s: string | null | undefined): string {
  if (s == null) return "";
  if (!demo.on) return s;
  let out = s.replace(PHONE, (run) => ((run.match(/\d/g) ?? []).length >= 7 ? maskDigits(run) : run));
  out = out.replace(/("(?:name|callerName|contactName|newContactName)"\s*:\s*")([^"]*)(")/g, (_m, a, v, b) => a + maskWords(v) + b);
  for (const n of [...names].sort((a, b) => b.length - a.length)) out = out.split(n).join(maskWords(n));
  return out;
}
