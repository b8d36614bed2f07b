// One shell command that returns a new view: the view replaces the old one, success is toasted,
// and a failure's message (it names the fix) is shown: on the form it belongs to when the caller
// gives `onError` (a toast would pile up away from the field), else as an error toast.
import { errorMessage } from "./api";
import { toast } from "./toasts.svelte";
import type { AppView } from "./bindings/AppView";

export interface ApplyOptions {
  /** The success toast. */
  done?: string;
  /** A toast with this key replaces the one before it (e.g. App's "Profile … opened."). */
  key?: string;
  /** The form's own error slot: called with the message on failure, and with null on success. */
  onError?: (message: string | null) => void;
}

export async function applyView(
  action: () => Promise<AppView>,
  onchange: (v: AppView) => void,
  opts: ApplyOptions = {},
): Promise<boolean> {
  try {
    onchange(await action());
    opts.onError?.(null);
    if (opts.done) toast("success", opts.done, 2500, opts.key ?? null);
    return true;
  } catch (e) {
    if (opts.onError) opts.onError(errorMessage(e));
    else toast("error", errorMessage(e), 0);
    return false;
  }
}
