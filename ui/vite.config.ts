import { defineConfig, type Plugin } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Start-up (issue 14): index.html draws a static shell before any script runs. The built page
// fetches the app's script as it loads (modulepreload) but runs it only once that first frame is
// drawn (index.html imports it then), so running it does not hold the frame up. The stylesheet
// is written into the page (a <style> element, not a file): the shell cannot be drawn without it,
// and fetching it held the first frame up by a round trip to the shell (tauri.conf.json lets
// style-src keep its 'unsafe-inline' for that). The pages loaded later keep their own files.
function runEntryAfterFirstFrame(): Plugin {
  return {
    name: "switchboard:run-entry-after-first-frame",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        const entry = /\s*<script type="module" crossorigin src="([^"]+)"><\/script>/;
        const styles = /\s*<link rel="stylesheet" crossorigin href="\/([^"]+)">/g;
        const src = html.match(entry)?.[1];
        if (!src) throw new Error("index.html: the entry script tag Vite writes was not found");
        const inlined = [...html.matchAll(styles)].map(([, file]) => {
          const asset = ctx.bundle?.[file];
          if (asset?.type !== "asset" || typeof asset.source !== "string" || asset.source.includes("</style")) {
            throw new Error(`index.html: the stylesheet ${file} could not be written into the page`);
          }
          delete ctx.bundle![file];
          return asset.source.trim();
        });
        return html
          .replace(styles, "")
          .replace(entry, `\n    <style>${inlined.join("\n")}</style>\n    <link rel="modulepreload" crossorigin href="${src}" id="app-entry">`);
      },
    },
  };
}

// The Tauri shell loads ui/dist (built) or this dev server (make dev).
export default defineConfig({
  plugins: [svelte(), runEntryAfterFirstFrame()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
});
