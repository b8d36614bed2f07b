// The README's pictures: each main page of the real window at 1280x800, light theme, demo mode off,
// toasts closed, on the bundled sandbox. Saved to target/screenshots/ on every `make test` (so the
// pictures are checked to still be takeable) and copied to docs/screenshots/ by `make screenshots`;
// the test never writes into the source tree.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { byTestId, clickStill, ensureBundled, signIn, useApp, waitText } from "./driver.mjs";

const WIDTH = 1280;
const HEIGHT = 800;
const out = resolve(import.meta.dirname, "../../target/screenshots");
const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";

let browser;
useApp((b) => (browser = b));

const click = (id) => clickStill(browser, id);

/** Dismisses every toast with its × (clicks, not Escape: the pictures need no keyboard state). */
async function closeToasts() {
  for (let i = 0; i < 20; i++) {
    const close = await browser.$('[data-testid="toast"] button[aria-label="Dismiss"]');
    if (!(await close.isExisting())) return;
    await close.click();
  }
}

/** Saves the window as target/screenshots/<name>.png and checks it has the fixed size. */
async function shot(name) {
  await closeToasts();
  // Let WebKit paint the latest DOM first (a shot taken right after a change can be stale).
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await new Promise((r) => setTimeout(r, 200));
  const file = resolve(out, `${name}.png`);
  // Without compositing (the app turns it off on machines with no GPU), WebKitWebDriver's screenshot
  // waits for a paint that an idle page never makes: keep one 1x1 pixel in the corner at ~1%
  // opacity repainting, out of sight, while the shot is taken.
  await browser.execute(() => {
    const dot = document.createElement("div");
    dot.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;background:#000;opacity:0.01";
    document.body.appendChild(dot);
    let frames = 0;
    const tick = () => {
      dot.style.opacity = frames % 2 ? "0.01" : "0.02";
      if (++frames < 300) requestAnimationFrame(tick);
      else dot.remove();
    };
    requestAnimationFrame(tick);
  });
  await browser.saveScreenshot(file);
  const png = readFileSync(file);
  const size = [png.readUInt32BE(16), png.readUInt32BE(20)];
  assert.deepEqual(size, [WIDTH, HEIGHT], `${name}.png is ${size.join("x")}, not ${WIDTH}x${HEIGHT}`);
}

async function waitStep(step) {
  const el = await byTestId(browser, `step-${step}`);
  await el.waitUntil(async () => (await el.getAttribute("data-status")) === "done", {
    timeout: 10000,
    timeoutMsg: `step ${step} never finished`,
  });
}

test("the main pages, as the README shows them", async () => {
  mkdirSync(out, { recursive: true });
  await browser.setWindowSize(WIDTH, HEIGHT);
  await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) === WIDTH, {
    timeout: 5000,
    timeoutMsg: `the window never became ${WIDTH} wide`,
  });
  await ensureBundled(browser);
  await (await byTestId(browser, "theme-select")).selectByAttribute("value", "light");
  const demo = await byTestId(browser, "demo-toggle");
  if ((await demo.getAttribute("aria-pressed")) === "true") await demo.click();

  await click("nav-manifest");
  await waitText(browser, "preview-log-form", "Save to Sandbox CRM");
  await shot("manifest");

  await signIn(browser, API_KEY);
  await shot("sign-in");

  await click("nav-lookup");
  await (await byTestId(browser, "lookup-phone")).setValue("+1 415-555-0123");
  await waitText(browser, "lookup-phone-e164", "+14155550123");
  await click("lookup-run");
  await waitText(browser, "lookup-contacts", "Dorothy Vaughan");
  await waitText(browser, "lookup-log-form", "Trajectory audit");
  await shot("lookup");

  await click("nav-flow");
  await (await byTestId(browser, "flow-phone")).setValue("+1 202-555-0142");
  await waitText(browser, "flow-phone-e164", "+12025550142");
  await click("flow-lookup");
  await waitStep("lookup");
  await (await byTestId(browser, "new-contact-name")).setValue("Pat Placeholder");
  await (await byTestId(browser, "new-contact-type")).selectByAttribute("value", "lead");
  await click("flow-save");
  await waitStep("log");
  await click("flow-verify");
  await waitStep("verify");
  await shot("placeholder-flow");

  await click("nav-inspector");
  const inspector = await byTestId(browser, "inspector");
  await inspector.waitUntil(async () => (await inspector.$$('[data-testid="exchange-row"]')).length >= 5, {
    timeout: 5000,
    timeoutMsg: "the inspector never listed the session's requests",
  });
  await shot("inspector");

  await click("nav-profiles");
  await shot("profiles");

  // Leave the theme as the other tests expect it.
  await (await byTestId(browser, "theme-select")).selectByAttribute("value", "system");
});
