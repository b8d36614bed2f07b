// The active profile's phone settings (default region, up to three overriding formats), editable
// in place. They are saved in the profile, in the app's config dir, never in the web view.
import { api, errorMessage } from "./api";
import { toast } from "./toasts.svelte";
import type { PhoneInput } from "./bindings/PhoneInput";
import type { Profile } from "./bindings/Profile";

interface PhoneSettings {
  profileId: string;
  region: string;
  formats: string[];
}

export const phoneSettings = $state<PhoneSettings>({ profileId: "", region: "US", formats: ["", "", ""] });

/** Follows the active profile (called whenever the shell sends a new view). */
export function syncPhoneSettings(p: Profile) {
  phoneSettings.profileId = p.id;
  phoneSettings.region = p.region;
  const formats = p.formats.slice(0, 3);
  while (formats.length < 3) formats.push("");
  phoneSettings.formats = formats;
}

export async function savePhoneSettings() {
  if (!phoneSettings.profileId) return;
  try {
    const view = await api.profileUpdate(phoneSettings.profileId, {
      region: phoneSettings.region,
      formats: phoneSettings.formats,
    });
    syncPhoneSettings(view.profile);
  } catch (e) {
    toast("error", errorMessage(e), 0);
  }
}

export function phoneInput(input: string): PhoneInput {
  return {
    input,
    region: phoneSettings.region.trim() || null,
    formats: phoneSettings.formats.filter((f) => f.trim() !== ""),
  };
}
