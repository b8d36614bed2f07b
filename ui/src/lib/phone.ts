// Whether a typed number may be sent, as the engine decides it: the preview (`parse_phone`) carries
// the engine's reason (`problem`) when the number is neither valid, nor of a possible length, nor a short extension, the same
// reason every action that sends a number is refused with. Lookups and flows call this first, so
// the reason shows at once and nothing is sent (the engine would refuse the action anyway).
import { api, errorMessage } from "./api";
import { phoneInput } from "./settings.svelte";
import type { PhoneView } from "./bindings/PhoneView";

export type PhoneCheck = { ok: true; view: PhoneView } | { ok: false; reason: string };

export async function checkPhone(typed: string): Promise<PhoneCheck> {
  try {
    const view = await api.parsePhone(phoneInput(typed));
    if (view.problem === null) return { ok: true, view };
    return { ok: false, reason: view.problem };
  } catch (e) {
    return { ok: false, reason: `${errorMessage(e)} Nothing was sent.` };
  }
}
