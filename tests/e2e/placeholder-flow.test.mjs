// The whole product path in the real window: the bundled sandbox manifest, sign-in, a lookup, and
// the manual create-placeholder flow (lookup → name + type → create → log → verify), with a
// screenshot of each step under target/e2e-artifacts/.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { byTestId, clickStill, restartApp, screenshot, typePhone, useApp, waitText as waitFor, waitValue } from "./driver.mjs";

let browser;
useApp((b) => (browser = b));

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";

const text = async (id) => (await byTestId(browser, id)).getText();

const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);

async function waitStep(step, status = "done") {
  const el = await byTestId(browser, `step-${step}`);
  await el.waitUntil(async () => (await el.getAttribute("data-status")) === status, {
    timeout: 10000,
    timeoutMsg: `step ${step} never became ${status}`,
  });
}

test("the app opens on the bundled sandbox manifest with its contact types", async () => {
  await waitText("manifest-source", "Sandbox (bundled)");
  const options = await (await byTestId(browser, "preview-contact-types")).$$("option");
  const labels = [];
  for (const o of options) labels.push(await o.getText());
  assert.deepEqual(labels, ["Contact", "Lead", "Company"], "the dropdown is built from contactTypes");
  // The call-log form previewed from the manifest alone, with sample contacts.
  await waitText("preview-log-form", "Save to Sandbox CRM");
  await waitText("preview-log-form-warning", "Multiple contacts found");
  await waitText("preview-log-form", "Sample Deal A");
  // An input: its text is always empty, so wait for its value.
  await waitValue(browser, "preview-log-form-subject", "Inbound Call from Ada Sample");
  const rows = await (await byTestId(browser, "preview-log-form")).$$("li button");
  await rows[rows.length - 1].click(); // "Create new contact..."
  const typeSelect = await byTestId(browser, "preview-log-form-contact-type");
  await typeSelect.waitForExist({ timeout: 5000, timeoutMsg: "choosing the create row shows the Contact type dropdown" });
  assert.equal((await typeSelect.$$("option")).length, 3);
  await screenshot(browser, "manifest");
});

test("signing in with the API key stores the session and shows the user", async () => {
  await clickStill(browser, "nav-signin");
  await (await byTestId(browser, "login-apiKey")).setValue(API_KEY);
  await clickStill(browser, "sign-in");
  await waitText("session-pill", "Sandbox Demo User");
  assert.match(await text("signed-in"), /Signed in as Sandbox Demo User/);
  assert.equal(await (await byTestId(browser, "login-apiKey")).isExisting(), false, "the form is gone");
  await screenshot(browser, "signed-in");
});

test("a lookup of a shared number lists both contacts as App Connect does", async () => {
  await clickStill(browser, "nav-lookup");
  await typePhone(browser, "lookup-phone", "+1 415-555-0123");
  await waitText("lookup-phone-e164", "+14155550123");
  await clickStill(browser, "lookup-run");
  await waitText("lookup-contacts", "Katherine Johnson");
  const list = await text("lookup-contacts");
  assert.match(list, /Dorothy Vaughan\s+lead - 105/, "second line is '<type> - <id>'");
  assert.match(list, /Create new contact\.\.\./);
  assert.match(await text("lookup-contacts-warning"), /Multiple contacts found/);
  await waitText("lints", "has no options for Dorothy Vaughan");
  await waitText("lookup-log-form", "Trajectory audit"); // Katherine's deal, in the Deal dropdown
  await screenshot(browser, "lookup");
});

test("the manual placeholder flow creates, logs and verifies", async () => {
  await clickStill(browser, "nav-flow");
  await typePhone(browser, "flow-phone", "(202) 555-0199");
  await waitText("flow-phone-e164", "+12025550199");
  await clickStill(browser, "flow-lookup");
  await waitStep("lookup");
  await waitText("flow-contact-list-warning", "No contact found. Enter a name");
  // Focus moved to the next thing to fill in: the new contact's name.
  await browser.waitUntil(
    async () => (await browser.execute(() => document.activeElement?.getAttribute("data-testid"))) === "new-contact-name",
    { timeout: 5000, timeoutMsg: "focus moves to the new contact's name after the lookup" },
  );
  // The connector's returnMessage as a toast, with its details expandable.
  const toastEl = await browser.$('[data-testid="toast"][data-kind="warning"]');
  await toastEl.waitForExist({ timeout: 5000, timeoutMsg: "the 'Contact not found' warning is shown" });
  assert.match(await toastEl.getText(), /Contact not found/);
  await (await toastEl.$("button=Details")).click();
  assert.match(await (await toastEl.$('[data-testid="toast-details"]')).getText(), /\+12025550199 could not be found/);
  await screenshot(browser, "no-match");

  await (await byTestId(browser, "new-contact-name")).setValue("Jane Placeholder");
  const typeSelect = await byTestId(browser, "new-contact-type");
  assert.equal(await typeSelect.getValue(), "", "the type starts blank, as the client's form does (it would send \"\")");
  await typeSelect.selectByAttribute("value", "lead");
  // The title the client writes once the name is typed (lower-case "call").
  const title = await byTestId(browser, "log-subject");
  await title.waitUntil(async () => (await title.getAttribute("placeholder")) === "Inbound call from Jane Placeholder", {
    timeout: 5000,
    timeoutMsg: "the activity title follows the typed name",
  });
  await screenshot(browser, "create-form");
  // The client's one Save: the contact is created, then the call is logged against it.
  await clickStill(browser, "flow-save");
  await waitStep("log");
  assert.equal(await (await byTestId(browser, "step-create")).getAttribute("data-status"), "done");
  const records = await browser.$$('[data-testid="step-record"]');
  assert.match(await records[1].getText(), /Created "Jane Placeholder" with id "1001"/);
  assert.match(await records[2].getText(), /Logged call sb-\w+ against 1001/);
  assert.equal(await browser.execute(() => document.activeElement?.getAttribute("data-testid")), "flow-verify", "focus moves to Verify");
  await screenshot(browser, "logged");

  await clickStill(browser, "flow-verify");
  await waitStep("verify");
  assert.match(await text("verify-contact"), /^✓ A new lookup of \+12025550199 returns contact Jane Placeholder \(1001\)/);
  assert.match(await text("verify-log"), /^✓ GET \/callLog reports session sb-\w+ as matched \(log log-\d+\)/);
  await screenshot(browser, "verified");
});

test("the inspector lists every request with secrets redacted", async () => {
  await clickStill(browser, "nav-inspector");
  const inspector = await byTestId(browser, "inspector");
  await inspector.waitUntil(async () => (await inspector.$$('[data-testid="exchange-row"]')).length >= 7, {
    timeout: 5000,
    timeoutMsg: "login, lookup and four flow steps (verify makes two requests) should be listed",
  });
  // textContent, not getText: URLs are ellipsized on screen and rendered text drops the hidden part.
  const all = await inspector.getProperty("textContent");
  assert.match(all, /POST\s*http:\/\/127\.0\.0\.1:\d+\/apiKeyLogin/);
  assert.match(all, /jwtToken=<redacted>/);
  const source = await browser.getPageSource();
  assert.doesNotMatch(source, /eyJ[\w-]{10,}\.[\w-]+/, "no session token anywhere in the window");
  await screenshot(browser, "inspector");
});

test("the history survives a restart, holds no secrets, and copies as redacted curl", async () => {
  const file = join(process.env.XDG_DATA_HOME, "dev.switchboard.app", "history.json");
  const stored = readFileSync(file, "utf8");
  assert.ok(JSON.parse(stored).length >= 7, "every exchange of the session is on disk");
  assert.doesNotMatch(stored, /eyJ[\w-]{10,}\./, "no session token in the history file");
  assert.ok(!stored.includes(API_KEY), "no API key in the history file");

  browser = await restartApp();
  await clickStill(browser, "nav-inspector");
  const inspector = await byTestId(browser, "inspector");
  await inspector.waitUntil(async () => (await inspector.$$('[data-testid="exchange-row"]')).length >= 7, {
    timeout: 10000,
    timeoutMsg: "the restarted app lists the earlier session's exchanges",
  });
  const rows = await inspector.$$('[data-testid="exchange-row"]');
  await rows[rows.length - 1].click(); // the oldest: the sign-in
  const curl = await (await byTestId(browser, "curl")).getProperty("textContent");
  assert.match(curl, /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/apiKeyLogin'/);
  assert.match(curl, /"apiKey": "<redacted>"/, "the copied command keeps the redaction");
  await screenshot(browser, "history-after-restart");
});

test("the automatic variant names, creates, logs and verifies as the client does", async () => {
  // The restarted app reopened the profile with its session from the keychain: no new sign-in.
  await clickStill(browser, "nav-signin");
  await waitText("signed-in", "session restored from the keychain");

  await clickStill(browser, "nav-flow");
  await clickStill(browser, "mode-auto");
  await typePhone(browser, "auto-phone", "(202) 555-0177");
  await (await byTestId(browser, "auto-caller")).setValue("Jane Doe");
  await (await byTestId(browser, "auto-type")).selectByAttribute("value", "lead");
  await waitText("auto-name", "PlaceholderContactJane Doe +12025550177");
  await clickStill(browser, "auto-run");
  await waitStep("verify");
  assert.match(await text("verify-contact"), /^✓ A new lookup of \+12025550177 returns contact PlaceholderContactJane Doe \+12025550177/);
  assert.match(await text("verify-log"), /^✓ GET \/callLog reports session/);
  await screenshot(browser, "automatic");

  // With App Connect's default rule "Skip logging", an unknown call is only looked up, and the
  // client warns that it was not logged.
  await (await byTestId(browser, "auto-handling")).selectByAttribute("value", "skipLogging");
  await typePhone(browser, "auto-phone", "(202) 555-0166");
  await clickStill(browser, "auto-run");
  await waitText("auto-skipped", "set to skip logging: nothing is sent");
  await browser.waitUntil(
    async () => {
      for (const t of await browser.$$('[data-testid="toast"][data-kind="warning"]')) {
        if (/Call not logged\. There is no matched contact\./.test(await t.getText())) return true;
      }
      return false;
    },
    { timeout: 5000, timeoutMsg: "the client's 'Call not logged' warning is shown" },
  );
  assert.equal(await (await byTestId(browser, "step-create")).getAttribute("data-status"), "todo");
});

test("a reference manifest's forms preview from the file alone", async () => {
  const bullhorn = resolve(import.meta.dirname, "../../../shared/reference/manifests/bullhorn.json");
  await clickStill(browser, "nav-manifest");
  await clickStill(browser, "open-url");
  await (await byTestId(browser, "manifest-url")).setValue(bullhorn);
  await clickStill(browser, "manifest-url-load");
  await waitText("manifest-source", "bullhorn.json");
  const labels = [];
  for (const o of await (await byTestId(browser, "preview-contact-types")).$$("option")) labels.push(await o.getText());
  assert.deepEqual(labels, ["Candidate", "Contact", "Lead"], "Bullhorn's contactTypes");
  await waitText("preview-log-form", "Save to Bullhorn");
  await waitText("preview-log-form-message-log", "Note action");
  await screenshot(browser, "reference-manifest");
});

test("editing the open manifest file on disk refreshes the preview", async () => {
  const file = join(process.env.XDG_DATA_HOME, "my-manifest.json");
  const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../manifests/sandbox.json"), "utf8"));
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  await clickStill(browser, "nav-manifest");
  await clickStill(browser, "open-url");
  await (await byTestId(browser, "manifest-url")).setValue(file);
  await clickStill(browser, "manifest-url-load");
  await waitText("manifest-source", "my-manifest.json");
  await waitText("preview-log-form", "Save to Sandbox CRM");

  manifest.platforms.sandbox.displayName = "Edited CRM";
  manifest.platforms.sandbox.contactTypes.push({ display: "Partner", value: "partner" });
  // Let the modification time move past the one the app saw.
  await new Promise((r) => setTimeout(r, 1100));
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  await waitText("preview-log-form", "Save to Edited CRM", 10000);
  const options = await (await byTestId(browser, "preview-contact-types")).$$("option");
  assert.equal(options.length, 4, "the new contact type is in the dropdown");
  await screenshot(browser, "manifest-edited");
});
