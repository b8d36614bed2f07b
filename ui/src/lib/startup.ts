// Start-up (issue 14; docs/PERFORMANCE.md): what index.html set going before this script loaded
// (the static shell's first frame, the first view's command), and the first view's call-log
// preview, which the manifest page takes once instead of asking for it again, so that page is
// built and painted once. index.html calls the shell through __TAURI_INTERNALS__ (it runs before
// any module); the types are the generated bindings, as in api.ts.
import { api } from "./api";
import type { FirstView } from "./bindings/FirstView";
import type { LogForm } from "./bindings/LogForm";

/** Resolves once index.html's static shell has been drawn (and that frame marked), so building
 * the first view does not hold up the first frame's mark. */
export function shellDrawn(): Promise<void> {
  return (window as { switchboardPainted?: Promise<void> }).switchboardPainted ?? Promise.resolve();
}

/** The first view: asked for by index.html as the page starts loading (before this bundle has
 * loaded), or now if it was not. */
export function firstView(): Promise<FirstView> {
  const early = window as { switchboardFirstView?: Promise<FirstView> };
  const asked = early.switchboardFirstView;
  delete early.switchboardFirstView;
  return asked ?? api.firstView();
}

type FirstPreview = { source: string; platform: string; form: LogForm };
let first: FirstPreview | null = null;

export function keepFirstPreview(fv: FirstView) {
  first = fv.preview ? { source: fv.view.manifest.source, platform: fv.view.platform.name, form: fv.preview } : null;
}

/** The first view's preview, once; null if there is none or it has been taken. */
export function takeFirstPreview(): FirstPreview | null {
  const taken = first;
  first = null;
  return taken;
}

/** Resolves once the next frame has been drawn, behind the start-up mark of that frame (App.svelte
 * takes marks in a task after the frame; this waits one task more), so that work started then is
 * not counted in the frame's mark; or after 1 s, as a window not shown draws no frame. */
export function afterNextFrame(): Promise<void> {
  return new Promise((done) => {
    requestAnimationFrame(() => setTimeout(() => setTimeout(done, 0), 0));
    setTimeout(done, 1000);
  });
}
