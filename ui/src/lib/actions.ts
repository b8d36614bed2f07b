// One shell command that returns a new view: the view replaces the old one, success is toasted,
// and a failure's message (it names the fix) stays on screen until dismissed.
import { errorMessage } from "./api";
import { toast } from "./toasts.svelte";
import type { AppView } from "./bindings/AppView";

export async function applyView(
  action: () => Promise<AppView>,
  onchange: (v: AppView) => void,
  done?: string,
): Promise<boolean> {
  try {
    onchange(await action());
    if (done) toast("success", done, 2500);
    return true;
  } catch (e) {
    toast("error", errorMessage(e), 0);
    return false;
  }
}
