// Whether a typed number may be sent: the shell's parser (the same one PhoneField previews with)
// must read it as a valid number or a short extension. Lookups and flows call this first, so an
// invalid number is refused with its reason before anything is sent.
import { api, errorMessage } from "./api";
import { phoneInput } from "./settings.svelte";
import type { PhoneView } from "./bindings/PhoneView";

export type PhoneCheck = { ok: true; view: PhoneView } | { ok: false; reason: string };

export async function checkPhone(typed: string): Promise<PhoneCheck> {
  try {
    const view = await api.parsePhone(phoneInput(typed));
    if (view.number.isExtension || view.number.valid) return { ok: true, view };
    const where = view.number.region ? ` for ${view.number.region}` : "";
    return {
      ok: false,
      reason: `Not a valid phone number${where}: it has the wrong number of digits or no such area code. Nothing was sent; fix the number first.`,
    };
  } catch (e) {
    return { ok: false, reason: `${errorMessage(e)} Nothing was sent.` };
  }
}
