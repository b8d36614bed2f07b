// The window's fit and finish: at the smallest size nothing scrolls sideways; toasts fit, stack
// with "+N more", close by × and Escape, errors expire after a while, and stay clear of the pages' actions; a form's error shows
// in the form; results always belong to the last input; a started flow keeps its number; the
// theme follows the system or the switch. Leaves the theme on System and its profile removed.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { byTestId, clickStill, ensureBundled, screenshot, signIn, typePhone, useApp, waitText as waitFor } from "./driver.mjs";

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";

let browser;
useApp((b) => (browser = b));

const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);
const click = (id) => clickStill(browser, id);
const exists = async (id) => (await byTestId(browser, id)).isExisting();
/** The form error of the page on screen (other pages' panels are hidden, not removed). */
async function pageError(expected) {
  const el = await browser.$('main > div:not([hidden]) [data-testid="form-error"]');
  await el.waitForExist({ timeout: 10000, timeoutMsg: `no form error on the page` });
  await browser.waitUntil(async () => (await el.getText()).includes(expected), {
    timeout: 10000,
    timeoutMsg: `the form error never said "${expected}"`,
  });
}
/** Counted in the page: toasts expire while WebDriver would be collecting element handles for them
 * (a handle to one that just left is a "stale element" error). */
const toastCount = () => browser.execute(() => document.querySelectorAll('[data-testid="toast"]').length);
const errorCount = () => browser.execute(() => document.querySelectorAll('[data-testid="toast"][data-kind="error"]').length);
async function closeToasts() {
  for (let i = 0; i < 20 && (await toastCount()) > 0; i++) await browser.keys(["Escape"]);
  assert.equal(await toastCount(), 0, "Escape closes every toast, newest first");
}
async function rect(el) {
  return browser.execute((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  }, el);
}
const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Sideways overflow of the page, the top bar and the main column (px beyond their width). */
async function sideways() {
  return browser.execute(() => {
    const over = (el) => (el ? el.scrollWidth - el.clientWidth : 0);
    return {
      page: over(document.documentElement),
      body: over(document.body),
      header: over(document.querySelector("header")),
      main: over(document.querySelector("main")),
      width: window.innerWidth,
    };
  });
}

test("at the smallest window size (960×640) no page scrolls sideways, nor at larger ones", async () => {
  await ensureBundled(browser);
  await signIn(browser, API_KEY);
  // A long server address in the top bar, not yet used.
  const server = await byTestId(browser, "server-url");
  const original = await server.getValue();
  await server.setValue("/a-very-long-path/that-keeps-going/and-going/to-push-the-bar/wider-than-the-window");
  await click("open-url");
  const problems = [];
  // The minimum size first (with screenshots), then sizes between it and the usual one.
  for (const [w, h] of [
    [960, 640],
    [1100, 720],
    [1280, 800],
  ]) {
    await browser.setWindowSize(w, h);
    await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) <= w, { timeout: 5000 });
    for (const section of ["profiles", "manifest", "signin", "lookup", "flow", "runs", "inspector"]) {
      await click(`nav-${section}`);
      if (section === "lookup" && w === 960) {
        await typePhone(browser, "lookup-phone", "+1 415-555-0123");
        await click("lookup-run");
        await waitText("lookup-contacts", "Katherine Johnson");
      }
      if (section === "inspector" && w === 960) {
        const rows = await browser.$$('[data-testid="exchange-row"]');
        if (rows.length) await rows[0].click();
      }
      const o = await sideways();
      if (o.page > 0 || o.body > 0 || o.header > 0 || o.main > 0) problems.push(`${section} at ${w}×${h}: ${JSON.stringify(o)}`);
      if (w === 960) await screenshot(browser, `small-${section}`);
    }
  }
  await browser.setWindowSize(960, 640);
  assert.deepEqual(problems, [], "no sideways overflow");
  // Back to the manifest's server, the URL bar closed.
  await server.clearValue();
  await server.setValue(original);
  assert.equal(await exists("server-use"), false, "the bar is back to the server in use");
  await (await (await browser.$(".urlbar")).$("button=Cancel")).click();
});

test("toasts fit the window, stack two (in a short window) with +N more, and close by × and Escape", async () => {
  await closeToasts();
  await click("nav-inspector");
  // Each export toasts its long path (a run with no spaces).
  for (let i = 0; i < 5; i++) {
    await click("export-report");
    await browser.waitUntil(async () => (await byTestId(browser, "toasts")).getText().then((t) => t.includes("Report saved") || i > 2), { timeout: 5000 });
  }
  // 640 px high: two are shown (three in a taller window), the rest behind "+N more".
  await waitText("toasts-more", "+3 more");
  // The pointer over the stack holds it: nothing expires while it is read.
  await (await byTestId(browser, "toasts-more")).moveTo();
  assert.equal(await toastCount(), 2, "two toasts are shown");
  const width = await browser.execute(() => window.innerWidth);
  for (const t of await browser.$$('[data-testid="toast"]')) {
    const r = await rect(t);
    assert.ok(r.left >= 0 && r.right <= width, `the toast fits the window: ${JSON.stringify(r)} in ${width}`);
    const x = await rect(await t.$("button.x"));
    assert.ok(x.right <= width && x.left >= r.left, "its × is inside the window");
  }
  await screenshot(browser, "toasts-stacked");
  await click("toasts-more");
  assert.equal(await toastCount(), 5, "+N more shows them all");
  await browser.keys(["Escape"]);
  assert.equal(await toastCount(), 4, "Escape closes the newest");
  await (await browser.$('[data-testid="toast"] button.x')).click();
  assert.equal(await toastCount(), 3, "the × closes one");
  await closeToasts();

  // A toast does not cover the actions at the bottom right of a page (Forget everything).
  await click("export-report");
  await (await browser.$('[data-testid="toast"]')).waitForExist({ timeout: 5000 });
  await click("nav-profiles");
  const forget = await byTestId(browser, "forget-everything");
  await forget.scrollIntoView({ block: "center" });
  const f = await rect(forget);
  for (const t of await browser.$$('[data-testid="toast"]')) assert.ok(!overlaps(f, await rect(t)), "no toast over Forget everything");
  await closeToasts();
});

test("an error toast stays a while, then goes by itself", async () => {
  await closeToasts();
  await click("nav-inspector");
  // A file where the reports folder should be: the export fails with an error toast.
  const folder = join(process.env.SWITCHBOARD_E2E_DOCUMENTS, "Switchboard reports");
  rmSync(folder, { recursive: true, force: true });
  writeFileSync(folder, "in the way");
  try {
    await click("export-report");
    const error = await browser.$('[data-testid="toast"][data-kind="error"]');
    await error.waitForExist({ timeout: 10000, timeoutMsg: "the failed export shows an error toast" });
    const shownAt = Date.now();
    assert.match(await error.getText(), /Switchboard reports/, "the error names the folder");
    // The pointer away from the stack (over it, the stack is held while read).
    await browser.action("pointer").move({ x: 300, y: 140, origin: "viewport" }).perform();
    await browser.pause(3000);
    assert.equal(await errorCount(), 1, "an error stays longer than a notice");
    await browser.waitUntil(async () => (await errorCount()) === 0, { timeout: 30000, timeoutMsg: "the error toast never went" });
    const stayed = Date.now() - shownAt;
    assert.ok(stayed >= 8000, `it stayed a while first (${stayed} ms)`);
  } finally {
    rmSync(folder, { force: true });
  }
});

test("a refused API key and a bad server address show in their forms, not as toasts", async () => {
  await closeToasts();
  await click("nav-signin");
  await click("sign-out");
  await (await byTestId(browser, "login-apiKey")).setValue("sbk-wrong-key");
  await click("sign-in");
  const error = await browser.$('form [data-testid="form-error"]');
  await error.waitForExist({ timeout: 10000, timeoutMsg: "the refusal is shown in the sign-in form" });
  assert.equal((await browser.execute(() => document.querySelectorAll('[data-testid="toast"][data-kind="error"]').length)), 0, "no error toast as well");
  await screenshot(browser, "signin-refused");
  await (await byTestId(browser, "login-apiKey")).setValue(API_KEY);
  await click("sign-in");
  await waitText("signed-in", "Signed in");
  assert.equal(await exists("form-error"), false, "success clears it");

  const server = await byTestId(browser, "server-url");
  await server.clearValue();
  await server.setValue("not a server address");
  await click("server-use");
  await (await browser.$('header form [data-testid="form-error"]')).waitForExist({ timeout: 10000 });
  assert.equal((await browser.execute(() => document.querySelectorAll('[data-testid="toast"][data-kind="error"]').length)), 0, "no error toast as well");
  assert.equal((await sideways()).page, 0, "the top bar's error wraps");
  await screenshot(browser, "server-refused");
  // A success in the same form clears its error (the sandbox's address, written another way).
  await server.clearValue();
  await server.setValue(`${await browser.execute(() => document.querySelector("nav .sandbox code")?.textContent ?? "")}/`);
  await click("server-use");
  await browser.waitUntil(async () => !(await exists("form-error")), { timeout: 10000, timeoutMsg: "success clears it" });
  if (await exists("server-reset")) await click("server-reset");
  await closeToasts();
});

test("results belong to the last input: first row chosen, invalid input refused and clearing", async () => {
  await click("nav-lookup");
  await typePhone(browser, "lookup-phone", "+1 202-555-0155");
  await click("lookup-run");
  await waitText("lookup-contacts-warning", "No contact found");
  await typePhone(browser, "lookup-phone", "+1 415-555-0123");
  await click("lookup-run");
  await waitText("lookup-contacts", "Katherine Johnson");
  const chosen = await browser.$('[data-testid="lookup-contacts"] button.chosen');
  const first = await browser.$('[data-testid="lookup-contacts"] [data-testid="contact-row"]');
  assert.equal(await chosen.getAttribute("data-id"), await first.getAttribute("data-id"), "the first contact is chosen");
  assert.notEqual(await chosen.getAttribute("data-id"), "createNewContact");
  assert.equal(await exists("lookup-stale"), false, "the results answer the number in the field");
  // Editing the number marks the results on screen as an earlier number's until the next lookup.
  await typePhone(browser, "lookup-phone", "+1 415-555-0100");
  await waitText("lookup-stale", "These results are for +14155550123");
  await click("lookup-run");
  await browser.waitUntil(async () => !(await exists("lookup-stale")), { timeout: 10000, timeoutMsg: "the new lookup's results are current" });
  await waitText("lookup-for", "+14155550100");

  // Each refusal names its own reason, so the second is not mistaken for the first one still shown.
  for (const [bad, reason] of [
    ["abc", "is not a phone number"],
    ["+12025018", "Not a valid phone number"],
  ]) {
    await typePhone(browser, "lookup-phone", bad);
    await click("lookup-run");
    await pageError(reason);
    await pageError("Nothing was sent");
    assert.equal(await exists("lookup-result"), false, `the earlier results are gone after "${bad}"`);
  }
  await screenshot(browser, "lookup-invalid");
});

test("a started flow keeps its number until New flow; an invalid number does not start one", async () => {
  await click("nav-flow");
  if (await exists("flow-new")) await click("flow-new");
  await typePhone(browser, "flow-phone", "+12025018");
  await click("flow-lookup");
  await pageError("Nothing was sent");
  assert.equal(await (await byTestId(browser, "step-lookup")).getAttribute("data-status"), "todo");

  const phone = await typePhone(browser, "flow-phone", "+1 202-555-0155");
  await click("flow-lookup");
  await waitText("flow-contact-list-warning", "No contact found");
  assert.equal(await phone.getAttribute("readonly"), "true", "the number is locked");
  assert.ok(await exists("flow-new"));
  await screenshot(browser, "flow-locked");

  // Automatic mode does not show the manual run's steps.
  await click("mode-auto");
  assert.equal(await (await byTestId(browser, "step-lookup")).getAttribute("data-status"), "todo");
  await click("mode-manual");
  assert.equal(await (await byTestId(browser, "flow-phone")).getAttribute("readonly"), null, "a new run is editable");
});

test("the inspector says when the filter matches nothing; a new profile is one toast", async () => {
  await click("nav-inspector");
  const filter = await byTestId(browser, "inspector-filter");
  await filter.setValue("no-such-request-anywhere");
  await waitText("inspector-empty", "No requests match the filter.");
  await filter.clearValue();

  await closeToasts();
  await click("nav-profiles");
  await (await byTestId(browser, "profile-new-name")).setValue("Polish check");
  await click("profile-create");
  await browser.waitUntil(
    async () => (await (await byTestId(browser, "profile-stripe")).getAttribute("data-profile")) === "Polish check",
    { timeout: 10000 },
  );
  await browser.pause(300);
  assert.equal(await toastCount(), 1, "one toast for creating and opening the profile");
  // Remove it again: back to Sandbox, then delete it.
  await (await browser.$('[data-testid="profile-row"][data-name="Sandbox"] [data-testid="profile-switch"]')).click();
  await browser.waitUntil(
    async () => (await (await byTestId(browser, "profile-stripe")).getAttribute("data-profile")) === "Sandbox",
    { timeout: 10000 },
  );
  await (await browser.$('[data-testid="profile-row"][data-name="Polish check"] [data-testid="profile-delete"]')).click();
  await click("profile-delete-confirm");
  await browser.waitUntil(async () => !(await browser.$('[data-testid="profile-row"][data-name="Polish check"]').isExisting()), {
    timeout: 10000,
  });
  await closeToasts();
});

test("the theme follows the system, or the switch, and is remembered", async () => {
  const state = () =>
    browser.execute(() => ({
      attr: document.documentElement.dataset.theme ?? null,
      bg: getComputedStyle(document.documentElement).getPropertyValue("--bg").trim(),
      systemDark: matchMedia("(prefers-color-scheme: dark)").matches,
      stored: localStorage.getItem("switchboard.theme"),
    }));
  const select = await byTestId(browser, "theme-select");
  await select.selectByAttribute("value", "dark");
  let s = await state();
  assert.equal(s.attr, "dark");
  assert.equal(s.bg, "#0f131a");
  assert.equal(s.stored, "dark");
  await click("nav-lookup");
  await screenshot(browser, "theme-dark");
  await select.selectByAttribute("value", "light");
  s = await state();
  assert.equal(s.bg, "#f6f7f9");
  await select.selectByAttribute("value", "system");
  s = await state();
  assert.equal(s.attr, null);
  assert.equal(s.bg, s.systemDark ? "#0f131a" : "#f6f7f9", "System follows prefers-color-scheme");

  // The desktop turns dark (GNOME's colour-scheme key, here in GLib's key file: tests/e2e/run.sh),
  // and the app follows while it runs; back to the default, it is light again.
  const keyfile = join(process.env.XDG_CONFIG_HOME, "glib-2.0/settings/keyfile");
  const desktop = (scheme) => writeFileSync(keyfile, `[org/gnome/desktop/interface]\ncolor-scheme='${scheme}'\n`);
  const bgBecomes = (bg, why) =>
    browser.waitUntil(async () => (await state()).bg === bg, { timeout: 10000, timeoutMsg: why });
  desktop("prefer-dark");
  await bgBecomes("#0f131a", "the app turns dark with the desktop");
  assert.equal((await state()).systemDark, true, "the page's prefers-color-scheme says dark");
  await screenshot(browser, "theme-system-dark");
  desktop("default");
  await bgBecomes("#f6f7f9", "the app turns light again with the desktop");
  assert.equal(s.stored, "system");
});
