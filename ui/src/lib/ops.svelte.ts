// Network actions the person may cancel. Each cancellable command is sent with an operation id;
// while it runs it is listed here (what it is, and which page started it), and `cancelOp` asks
// the shell to cancel it. The engine then ends the request at once and answers with the code
// `Cancelled` (in the result's error, or as the thrown error): pages show that as "Cancelled",
// never as an error toast.
import { invoke } from "@tauri-apps/api/core";
import type { Section } from "./nav.svelte";

export interface Op {
  id: string;
  /** What is running, as a person reads it: "Looking up", "Signing in". */
  label: string;
  /** The page that started it (its own Cancel button is shown there). */
  section: Section;
  cancelling: boolean;
}

export const ops = $state<{ list: Op[] }>({ list: [] });

let next = 1;

/** Runs a cancellable command: `call` gets the operation id to pass as `op`. */
export async function tracked<T>(label: string, section: Section, call: (op: string) => Promise<T>): Promise<T> {
  const id = `op-${Date.now().toString(36)}-${next++}`;
  ops.list.push({ id, label, section, cancelling: false });
  try {
    return await call(id);
  } finally {
    ops.list = ops.list.filter((o) => o.id !== id);
  }
}

export async function cancelOp(id: string) {
  const op = ops.list.find((o) => o.id === id);
  if (op) op.cancelling = true;
  await invoke<void>("cancel", { op: id });
}

/** Cancels every running action started by `section`; false when none was running. */
export function cancelSection(section: Section): boolean {
  const mine = ops.list.filter((o) => o.section === section && !o.cancelling);
  for (const o of mine) void cancelOp(o.id);
  return mine.length > 0;
}

/** Cancels the newest running action (Escape); false when none was running. */
export function cancelNewest(): boolean {
  const last = ops.list.filter((o) => !o.cancelling).at(-1);
  if (!last) return false;
  void cancelOp(last.id);
  return true;
}

export function running(section: Section): Op | undefined {
  return ops.list.find((o) => o.section === section);
}
