// Starts tauri-driver, opens a WebDriver session on the built app, and saves screenshots.
// Run inside a display and a D-Bus session with a Secret Service: see tests/e2e/run.sh.
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before } from "node:test";
import { remote } from "webdriverio";

const root = resolve(import.meta.dirname, "../..");
export const artifacts = resolve(root, "target/e2e-artifacts");
const app = process.env.SWITCHBOARD_DESKTOP_BIN ?? resolve(root, "target/debug/switchboard-desktop");
// tauri-driver's port, and WebKitWebDriver's behind it: chosen in startDriver.
let port;
let nativePort;

/** `count` distinct ports free on 127.0.0.1 now: each is bound to port 0 (the kernel picks), read,
 * and released. All are held open together so they differ. */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((ok, fail) => {
        server.once("error", fail);
        server.listen(0, "127.0.0.1", ok);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

let driver;

export async function startDriver() {
  mkdirSync(artifacts, { recursive: true });
  // Free ports, not tauri-driver's fixed 4444 and WebKitWebDriver's default, so a second run or
  // another WebDriver on the machine cannot collide. TAURI_DRIVER_PORT still pins tauri-driver's.
  const [free, freeNative] = await freePorts(2);
  port = process.env.TAURI_DRIVER_PORT ? Number(process.env.TAURI_DRIVER_PORT) : free;
  nativePort = freeNative === port ? free : freeNative;
  // Output goes to a file: a pipe held by an orphaned WebKitWebDriver can hang the run.
  const log = openSync(resolve(artifacts, "tauri-driver.log"), "w");
  driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", log, log],
  });
  driver.on("error", (e) => {
    throw new Error(`tauri-driver could not start (${e.message}); run scripts/setup.sh`);
  });
}

export async function stopDriver() {
  // SIGTERM lets tauri-driver stop WebKitWebDriver too; SIGKILL would orphan it.
  if (driver && driver.exitCode === null) {
    driver.kill("SIGTERM");
    await new Promise((r) => driver.once("exit", r));
  }
}

/** Opens the app. tauri-driver's port opens before WebKitWebDriver is ready, so retry. */
export async function openApp() {
  let lastError;
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      return await remote({
        hostname: "127.0.0.1",
        port,
        logLevel: "silent", // the first attempts fail by design while WebKitWebDriver starts
        connectionRetryCount: 0,
        capabilities: {
          "wdio:enforceWebDriverClassic": true,
          "tauri:options": { application: app },
        },
      });
    } catch (e) {
      lastError = e;
      await sleep(500);
    }
  }
  throw new Error(`no WebDriver session after 20 s: ${lastError?.message}`);
}

let shot = 0;
export async function screenshot(browser, name) {
  shot += 1;
  const file = resolve(artifacts, `${String(shot).padStart(2, "0")}-${name}.png`);
  // Let WebKit paint the latest DOM first: a shot taken right after a change can be stale.
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await new Promise((r) => setTimeout(r, 150));
  await browser.saveScreenshot(file);
  return file;
}

export const byTestId = (browser, id) => browser.$(`[data-testid="${id}"]`);

/** Waits until the element's text (or textContent: WebKitWebDriver gives "" for some styled
 * inline elements) includes `expected`. */
export async function waitText(browser, id, expected, timeout = 10000) {
  const el = await byTestId(browser, id);
  const read = async () => `${await el.getText()} ${await el.getProperty("textContent")}`;
  await el.waitUntil(async () => (await read()).includes(expected), {
    timeout,
    timeoutMsg: `[data-testid=${id}] never showed "${expected}"`,
  });
}

/** Waits until the input's value is exactly `expected` (getText and textContent are empty for
 * inputs). */
export async function waitValue(browser, id, expected, timeout = 10000) {
  const el = await byTestId(browser, id);
  await el.waitUntil(async () => (await el.getValue()) === expected, {
    timeout,
    timeoutMsg: `[data-testid=${id}] never had the value "${expected}"`,
  });
}

/** Clicks `[data-testid=id]` once it stands still. A page that is still settling (a preview line
 * answering, a panel loading, a result arriving) can move a button between the moment WebDriver
 * reads its position and the moment the pointer lands, so the click would go to whatever moved
 * under it. The element is scrolled to the middle, then its box is read every 50 ms until two
 * readings agree; then it is clicked, and on failure a screenshot keeps what covered it. */
export async function clickStill(browser, id, timeout = 10000) {
  const el = await byTestId(browser, id);
  await el.waitForExist({ timeout, timeoutMsg: `[data-testid=${id}] is not on the page` });
  await el.scrollIntoView({ block: "center" });
  let last = "";
  await browser.waitUntil(
    async () => {
      const box = await browser.execute((e) => {
        const r = e.getBoundingClientRect();
        return `${r.x},${r.y},${r.width},${r.height}`;
      }, el);
      const still = box === last;
      last = box;
      return still;
    },
    { timeout, interval: 50, timeoutMsg: `[data-testid=${id}] never stopped moving` },
  );
  try {
    await el.click();
  } catch (e) {
    await screenshot(browser, `click-failed-${id}`).catch(() => {});
    throw e;
  }
}

/** Types a number into a PhoneField (clearing it first) and waits until its live preview (or its
 * problem line) describes this number (`data-current`), 120 ms plus a parse later. Until then the
 * line still shows the previous number's preview, and when the new one replaces it the page's
 * height can change, so a click sent before it settles can land on whatever moved under the
 * pointer. */
export async function typePhone(browser, id, value, timeout = 10000) {
  const field = await byTestId(browser, id);
  await field.clearValue();
  await field.setValue(value);
  await browser.waitUntil(
    async () =>
      (await field.getValue()) === value &&
      (await browser.$(`[data-testid="${id}-preview"][data-current="true"], [data-testid="${id}-problem"][data-current="true"]`).isExisting()),
    { timeout, timeoutMsg: `[data-testid=${id}] never showed a preview for "${value}"` },
  );
  return field;
}

/** Gives the open profile a session: signs in with `apiKey` on the Sign in page, unless the
 * profile already has one (restored from the keychain). */
export async function signIn(browser, apiKey) {
  await clickStill(browser, "nav-signin");
  const form = await byTestId(browser, "login-apiKey");
  const signedIn = await byTestId(browser, "signed-in");
  await browser.waitUntil(async () => (await form.isExisting()) || (await signedIn.isExisting()), {
    timeout: 10000,
    timeoutMsg: "the Sign in page shows neither the form nor a session",
  });
  if (await form.isExisting()) {
    await form.setValue(apiKey);
    await clickStill(browser, "sign-in");
  }
  await waitText(browser, "signed-in", "Signed in");
}

/** Puts the open profile on the bundled sandbox manifest (another file may have left it on a
 * manifest file whose serverUrl is elsewhere, where the sandbox's session does not go). */
export async function ensureBundled(browser) {
  const source = await byTestId(browser, "manifest-source");
  await source.waitForExist({ timeout: 10000, timeoutMsg: "the top bar never showed the manifest" });
  // textContent: WebKitWebDriver's getText gives "" for this ellipsised element.
  if ((await source.getProperty("textContent")).trim() !== "Sandbox (bundled)") {
    await clickStill(browser, "open-bundled");
    await waitText(browser, "manifest-source", "Sandbox (bundled)");
  }
}

let current;

/** Opens the app before a test file's tests and closes it after; `onOpen` receives the session. */
export function useApp(onOpen) {
  before(async () => {
    await startDriver();
    current = await openApp();
    onOpen(current);
  });
  after(async () => {
    if (current) await current.deleteSession().catch(() => {});
    await stopDriver();
  });
}

/** Quits the app and starts it again (same profile, data and keychain); returns the new session. */
export async function restartApp() {
  await current.deleteSession();
  current = await openApp();
  return current;
}
