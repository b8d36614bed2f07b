// Profiles, credentials and redaction in the real window, against the real Secret Service of the
// run's D-Bus session: profiles created, edited, switched, reopened after a restart; login values
// and sessions in the keychain, never in the window; demo mode; and, after a scripted session
// ending in a report export, no secret anywhere on disk or in the app's output.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { artifacts, byTestId, clickStill, ensureBundled, restartApp, screenshot, signIn, useApp, waitText as waitFor } from "./driver.mjs";

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";
const SERVICE = process.env.SWITCHBOARD_KEYCHAIN_SERVICE;

let browser;
useApp((b) => (browser = b));

const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);
const click = (id) => clickStill(browser, id);
const content = async (id) => (await byTestId(browser, id)).getProperty("textContent");

/** The profile the shell has open (the stripe follows the shell's view, not the select). */
async function activeProfileName() {
  return (await byTestId(browser, "profile-stripe")).getAttribute("data-profile");
}

async function chooseProfile(name) {
  await click("nav-profiles");
  await (await browser.$(`[data-testid="profile-row"][data-name="${name}"] [data-testid="profile-switch"]`)).click();
  await browser.waitUntil(async () => (await activeProfileName()) === name, {
    timeout: 10000,
    timeoutMsg: `profile ${name} never became active`,
  });
}

function secretTool(...args) {
  const r = spawnSync("secret-tool", args, { encoding: "utf8" });
  return r.status === 0 ? r.stdout : null;
}

/** How many entries the run's keychain service has, as libsecret's `secret-tool` sees them. */
function keychainCount() {
  const out = secretTool("search", "--all", "--unlock", "service", SERVICE) ?? "";
  return (out.match(/^\[\//gm) ?? []).length;
}

/** Every entry Switchboard wrote (its index lists the accounts), read back from the keychain. */
function keychainEntries() {
  const index = secretTool("lookup", "service", SERVICE, "username", "switchboard:index");
  const accounts = index ? JSON.parse(index) : [];
  return accounts.map((account) => ({ account, secret: secretTool("lookup", "service", SERVICE, "username", account) ?? "" }));
}

test("profiles are created, edited and switched, each with its own session, and the last one reopens", async () => {
  // The Sandbox profile gets its session here, so this file does not depend on another's sign-in.
  await browser.waitUntil(async () => (await activeProfileName()) !== null, { timeout: 10000 });
  if ((await activeProfileName()) !== "Sandbox") await chooseProfile("Sandbox");
  await ensureBundled(browser);
  await signIn(browser, API_KEY);

  await click("nav-profiles");
  await (await byTestId(browser, "profile-new-name")).setValue("Acme staging");
  const copy = await byTestId(browser, "profile-copy-current");
  if (await copy.isSelected()) await copy.click(); // start from the bundled sandbox
  await click("profile-create");
  await browser.waitUntil(async () => (await activeProfileName()) === "Acme staging", { timeout: 10000 });
  await waitText("manifest-source", "Sandbox (bundled)");
  // A session belongs to the server that issued it, not to a profile: the new profile is on the
  // same in-app sandbox, so it is signed in with the session stored for it.
  await waitText("session-server", "Signed in to");
  // Pointed at another server, the profile is signed out there (nothing listens on port 9; no
  // request is made by switching).
  const server = await byTestId(browser, "server-url");
  await server.clearValue();
  await server.setValue("http://127.0.0.1:9");
  await click("server-use");
  await waitText("session-pill", "Signed out");

  // Phone settings belong to the profile and drive the number field.
  const region = await byTestId(browser, "profile-region");
  await region.clearValue();
  await region.setValue("GB");
  await (await byTestId(browser, "profile-format-0")).setValue("0** **** ****");
  await click("profile-save");
  await click("nav-lookup");
  await (await byTestId(browser, "lookup-phone")).setValue("020 7946 0018");
  await waitText("lookup-phone-e164", "+442079460018");
  await waitText("lookup-phone-preview", "020 7946 0018");
  await screenshot(browser, "profile-phone-settings");

  // The first profile's server has its session; this profile's server has none.
  await chooseProfile("Sandbox");
  await waitText("session-server", "Signed in to");
  await chooseProfile("Acme staging");
  await waitText("session-pill", "Signed out");

  // Duplicate, then delete the copy (two-step confirm).
  await click("nav-profiles");
  const rows = async () => (await byTestId(browser, "profile-list")).$$('[data-testid="profile-row"]');
  const before = (await rows()).length;
  await (await browser.$('[data-testid="profile-row"][data-name="Acme staging"] [data-testid="profile-duplicate"]')).click();
  await browser.waitUntil(async () => (await activeProfileName()) === "Acme staging copy", { timeout: 10000 });
  assert.equal((await rows()).length, before + 1);
  await (await browser.$('[data-testid="profile-row"][data-name="Acme staging copy"] [data-testid="profile-delete"]')).click();
  await click("profile-delete-confirm");
  await browser.waitUntil(async () => (await rows()).length === before, { timeout: 10000, timeoutMsg: "the copy was deleted" });
  await chooseProfile("Acme staging");
  await screenshot(browser, "profiles");

  // A restart reopens the last profile with its settings.
  browser = await restartApp();
  await browser.waitUntil(async () => (await activeProfileName()) === "Acme staging", {
    timeout: 10000,
    timeoutMsg: "the last profile reopens on start",
  });
  await click("nav-profiles");
  assert.equal(await (await byTestId(browser, "profile-region")).getValue(), "GB");
  await waitText("session-pill", "Signed out");
  // Back on the sandbox's address, the profile is signed in again with the sandbox's session.
  await click("server-reset");
  await waitText("session-server", "Signed in to");
  const stored = JSON.parse(readFileSync(join(process.env.XDG_CONFIG_HOME, "dev.switchboard.app", "profiles.json"), "utf8"));
  assert.deepEqual(
    stored.profiles.map((p) => p.name),
    ["Sandbox", "Acme staging"],
    "the profile list is in the config dir",
  );
});

test("sign-in values and the session go to the keychain; the window only learns they are stored", async () => {
  await click("nav-signin");
  // Signed in already (the sandbox's session): sign out, then sign in by typing the key.
  if (await (await byTestId(browser, "sign-out")).isExisting()) {
    await click("sign-out");
    await waitText("session-pill", "Signed out");
  }
  await (await byTestId(browser, "login-apiKey")).setValue(API_KEY);
  await click("sign-in");
  await waitText("session-pill", "Sandbox Demo User");
  await click("nav-profiles");
  await waitText("stored-session", "stored");
  await waitText("stored-login", "apiKey, workspace");

  const entries = keychainEntries();
  assert.equal(keychainCount(), entries.length + 1, "the index lists every entry (and is one itself)");
  const login = entries.find((e) => e.account.startsWith("login:") && e.secret.includes(API_KEY));
  assert.ok(login, `the API key is in the real keychain: ${entries.map((e) => e.account).join(", ")}`);
  assert.ok(entries.some((e) => e.account.startsWith("session:") && /^eyJ/.test(e.secret)), "the session JWT is stored");
  const page = await browser.getPageSource();
  assert.ok(!page.includes(API_KEY), "the API key is not in the window");
  assert.doesNotMatch(page, /eyJ[\w-]{10,}\.[\w-]+/, "no session token in the window");
  await screenshot(browser, "keychain-status");
});

test("demo mode masks phone numbers and contact names on screen", async () => {
  await click("nav-lookup");
  const phone = await byTestId(browser, "lookup-phone");
  await phone.clearValue();
  await phone.setValue("+1 415-555-0123");
  await waitText("lookup-phone-e164", "+14155550123");
  await click("lookup-run");
  await waitText("lookup-contacts", "Katherine Johnson");

  await click("demo-toggle");
  await waitText("demo-toggle", "Demo mode on");
  const masked = await content("lookup-contacts");
  assert.ok(!masked.includes("Katherine Johnson"), `names are masked: ${masked}`);
  assert.match(masked, /K•+ J•+/);
  const e164 = await content("lookup-phone-e164");
  assert.equal(e164, "+•••••••••23", "all but the last two digits are hidden");
  await click("nav-inspector");
  const inspector = await content("inspector");
  assert.ok(!inspector.includes("14155550123"), "numbers in request URLs are masked too");
  await click("nav-lookup");
  await screenshot(browser, "demo-mode");

  await click("demo-toggle");
  await waitText("lookup-contacts", "Katherine Johnson");
});

/** Every file under `dir` (skipping the keyring daemon's own store). */
function files(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) {
      if (name !== "keyrings") out.push(...files(path));
    } else if (st.isFile()) {
      out.push(path);
    }
  }
  return out;
}

test("after a scripted session and a report export, no secret is on disk or in the app's output", async () => {
  // The session so far: sign-ins and a lookup here (and, in a full run, the other file's flow).
  // Now the export.
  await click("nav-inspector");
  await click("export-report");
  await waitText("report-path", ".md");
  const reportPath = (await content("report-path")).replace(/^Last report:\s*/, "").trim();
  assert.ok(reportPath.startsWith(process.env.SWITCHBOARD_E2E_DOCUMENTS), `the report is in the documents folder: ${reportPath}`);
  const report = readFileSync(reportPath, "utf8");
  assert.match(report, /^# Switchboard report: Acme staging/);
  assert.match(report, /\| \d+ \| POST \| `http:\/\/127\.0\.0\.1:\d+\/apiKeyLogin` \| 200 \|/);
  assert.match(report, /jwtToken=<redacted>/);

  // Every secret used: the API key, each session token, the sandbox's signing key.
  const secrets = new Set([API_KEY]);
  for (const e of keychainEntries()) {
    if (e.account.startsWith("session:") || e.account === "sandbox:signing-key") secrets.add(e.secret);
  }
  assert.ok(secrets.size >= 3, "the API key, at least one session and the signing key");

  // Forget everything: the keychain is empty for this service afterwards. (The report's toast
  // stays open: the page keeps its height free below the content, so nothing is under it.)
  await click("nav-profiles");
  await click("forget-everything");
  await click("forget-everything-confirm");
  await waitText("stored-session", "not stored");
  await waitText("session-pill", "Signed out");
  assert.equal(keychainCount(), 0, "no entry of the service is left");

  const scanned = [
    process.env.XDG_CONFIG_HOME,
    process.env.XDG_DATA_HOME,
    process.env.XDG_CACHE_HOME,
    process.env.XDG_STATE_HOME,
    process.env.SWITCHBOARD_E2E_DOCUMENTS,
  ].flatMap(files);
  // The app's stdout and stderr reach tauri-driver's log.
  scanned.push(resolve(artifacts, "tauri-driver.log"));
  const logs = scanned.filter((f) => /switchboard\.\d{4}-\d{2}-\d{2}\.log$/.test(f));
  assert.ok(logs.length > 0, "the app writes a log file");
  assert.match(readFileSync(logs[0], "utf8"), /request.*apiKeyLogin/, "the log records requests");
  assert.ok(scanned.some((f) => f.endsWith("history.json")) && scanned.some((f) => f.endsWith("profiles.json")));

  const hits = [];
  for (const file of scanned) {
    const data = readFileSync(file).toString("latin1");
    for (const s of secrets) if (data.includes(s)) hits.push(`${file} holds a secret (${s.slice(0, 6)}…)`);
    if (/eyJ[\w-]{10,}\.eyJ[\w-]+\.[\w-]+/.test(data)) hits.push(`${file} holds a JWT`);
  }
  assert.deepEqual(hits, [], `${scanned.length} files scanned`);
});
