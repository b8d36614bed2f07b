// The values a person gives the additional fields core's form model describes (FieldModel, from
// switchboard-core forms.rs). The model says what is shown and which options exist (None
// included); this only keeps what was chosen and collects it for additionalSubmission.
import type { FieldModel } from "./bindings/FieldModel";
import type { JsonValue } from "./bindings/serde_json/JsonValue";

export type FieldValues = Record<string, JsonValue>;

function same(a: JsonValue | undefined, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The index of the chosen option of a selection: what was picked, else the value core says the
 * form starts with (the first option in 1.6.6); -1 when the dropdown starts blank. */
export function chosenIndex(f: Extract<FieldModel, { kind: "selection" }>, values: FieldValues): number {
  const current = f.key in values ? values[f.key] : f.value;
  return f.options.findIndex((o) => same(current, o.value));
}

/** A field's value as shown: what the person set, else the form's starting value. */
export function valueOf(f: FieldModel, values: FieldValues): JsonValue | undefined {
  switch (f.kind) {
    case "selection": {
      const i = chosenIndex(f, values);
      return i >= 0 ? f.options[i].value : undefined;
    }
    case "checkbox":
      return typeof values[f.key] === "boolean" ? values[f.key] : f.default;
    case "input":
      // Prefilled with the manifest's defaultValue, as core's model says.
      return typeof values[f.key] === "string" ? values[f.key] : f.value;
    case "warning":
      return undefined;
  }
}

/** additionalSubmission (SPEC §6 "Saving"): every field whose value is truthy and not "none". */
export function submission(fields: FieldModel[], values: FieldValues): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const f of fields) {
    const v = valueOf(f, values);
    if (v === undefined || v === null || v === false || v === "" || v === 0 || v === "none") continue;
    out[f.key] = v;
  }
  return out;
}

/** Why an input's value does not match the manifest's pattern, if it does not. */
export function patternProblem(f: FieldModel, values: FieldValues): string | null {
  if (f.kind !== "input" || !f.pattern) return null;
  const v = valueOf(f, values);
  if (typeof v !== "string" || v === "") return null;
  try {
    return new RegExp(f.pattern).test(v) ? null : `Does not match ${f.pattern}`;
  } catch {
    return `The manifest's pattern ${f.pattern} is not a valid regular expression`;
  }
}
