// Phone settings a person keeps between sessions (no secrets): default region and overriding formats.
const KEY = "switchboard.phoneSettings";

interface PhoneSettings {
  region: string;
  formats: string[];
}

function load(): PhoneSettings {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) {
      const v = JSON.parse(raw) as Partial<PhoneSettings>;
      const formats = Array.isArray(v.formats) ? v.formats.slice(0, 3).map(String) : [];
      while (formats.length < 3) formats.push("");
      return { region: typeof v.region === "string" ? v.region : "US", formats };
    }
  } catch {
    // A corrupt entry is replaced by defaults.
  }
  return { region: "US", formats: ["", "", ""] };
}

export const phoneSettings = $state<PhoneSettings>(load());

export function savePhoneSettings() {
  localStorage.setItem(KEY, JSON.stringify(phoneSettings));
}

export function phoneInput(input: string) {
  return {
    input,
    region: phoneSettings.region.trim() || null,
    formats: phoneSettings.formats.filter((f) => f.trim() !== ""),
  };
}
