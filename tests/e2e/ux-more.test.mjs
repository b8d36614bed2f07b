// Issue 13 in the real window, part two: the keyboard path (skip link; after Sign in the focus is
// on the next step), the sandbox's interesting numbers one click away, Resend and Edit and resend
// from the inspector, the report as Markdown and as one HTML page with no secret, Cancel for a
// hung connector (its button, Escape, and the running-actions bar for the flow), the Agent's number masked in demo mode, and an OAuth
// refusal that arrives as an event shown on the sign-in form, not as a toast.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { byTestId, clickStill, ensureBundled, screenshot, typePhone, useApp, waitText as waitFor } from "./driver.mjs";

let browser;
useApp((b) => (browser = b));

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";
const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);
const click = (id) => clickStill(browser, id);
const exists = async (id) => (await byTestId(browser, id)).isExisting();
const text = async (id) => (await byTestId(browser, id)).getProperty("textContent");
const focused = () => browser.execute(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.id ?? "");
/** Sets a field's whole value as typing would (WebDriver does not type newlines into a textarea).
 * Waits for the field first: a page's panel is loaded on first use. */
async function fill(id, value) {
  await (await byTestId(browser, id)).waitForExist({ timeout: 10000, timeoutMsg: `no [data-testid=${id}]` });
  await browser.execute(
    (id, value) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      el.value = value;
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    id,
    value,
  );
}
const errorToasts = () => browser.execute(() => document.querySelectorAll('[data-testid="toast"][data-kind="error"]').length);

/** A connector that signs in any key but "hang…", and never answers a lookup (a hung connector). */
const TOKEN = "e2e-hung-session-token-4f1c";
let hung;
let hungUrl;
const held = [];

before(async () => {
  hung = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url.startsWith("/apiKeyLogin") && !body.includes('"hang')) {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jwtToken: TOKEN, name: "Hung Test" }));
        return;
      }
      held.push({ res, url: req.url }); // never answered
    });
  });
  await new Promise((r) => hung.listen(0, "127.0.0.1", r));
  hungUrl = `http://127.0.0.1:${hung.address().port}`;
});

after(() => {
  for (const { res } of held) res.destroy();
  hung.closeAllConnections?.();
  return new Promise((r) => hung.close(r));
});

/** Waits until the hung server holds one more request to `path` than `before` (it was sent). */
async function sentTo(path, before) {
  await browser.waitUntil(async () => held.filter((h) => h.url.startsWith(path)).length > before, {
    timeout: 5000,
    timeoutMsg: `nothing reached ${path}`,
  });
}
const heldAt = (path) => held.filter((h) => h.url.startsWith(path)).length;

async function setServer(url) {
  const input = await byTestId(browser, "server-url");
  await input.clearValue();
  await input.setValue(url);
  await click("server-use");
}

async function signOutIfSignedIn() {
  await click("nav-signin");
  const form = await byTestId(browser, "login-apiKey");
  await browser.waitUntil(async () => (await form.isExisting()) || (await exists("signed-in")), { timeout: 10000 });
  if (await exists("signed-in")) {
    await click("sign-out");
    await form.waitForExist({ timeout: 10000 });
  }
}

test("keyboard: a skip link, and after Sign in the focus is on the next step", async () => {
  await ensureBundled(browser);
  await signOutIfSignedIn();
  const first = await browser.execute(
    () => document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')?.getAttribute("data-testid"),
  );
  assert.equal(first, "skip-link", "the skip link comes first in the tab order");
  // A page freshly shown: the first Tab reaches the skip link, Enter moves to the main content.
  await browser.refresh();
  await (await byTestId(browser, "manifest-source")).waitForExist({ timeout: 10000 });
  await browser.keys(["Tab"]);
  assert.equal(await focused(), "skip-link", "the first Tab reaches the skip link");
  await browser.keys(["Enter"]);
  assert.equal(await focused(), "main", "Enter moves the focus to the main content");
  await click("nav-signin");

  // Sign in from the keyboard: the key, then Enter in the field.
  const key = await byTestId(browser, "login-apiKey");
  await key.setValue(API_KEY);
  await browser.keys(["Enter"]);
  await waitText("signed-in", "Signed in");
  await browser.waitUntil(async () => (await focused()) === "signin-next", {
    timeout: 5000,
    timeoutMsg: "after signing in the focus is on the next step",
  });
  await browser.keys(["Enter"]);
  await browser.waitUntil(async () => (await focused()) === "lookup-phone", {
    timeout: 5000,
    timeoutMsg: "the next step opens the lookup with its number field focused",
  });
});

test("the sandbox's interesting numbers: one click each, from the sandbox's data", async () => {
  await click("nav-lookup");
  const rows = await browser.$$('[data-testid="sandbox-number"]');
  const kinds = [];
  for (const r of rows) kinds.push(await r.getAttribute("data-kind"));
  assert.deepEqual(kinds, ["shared", "formatOnly", "extension", "unknown"]);
  // Each note reads as sentences: the one about the shared number ends before "Finds …" begins.
  const notes = await browser.execute(() => [...document.querySelectorAll('[data-testid="sandbox-numbers"] .note')].map((n) => n.textContent.trim()));
  assert.ok(notes.some((n) => /\. Finds Katherine Johnson|\. Finds Dorothy Vaughan/.test(n)), `a space after each note: ${JSON.stringify(notes)}`);
  assert.ok(notes.every((n) => !/\.Finds/.test(n)), `no "…one.Finds": ${JSON.stringify(notes)}`);
  const pick = (kind) => browser.$(`[data-testid="sandbox-number"][data-kind="${kind}"]`).click();

  await pick("shared");
  await waitText("lookup-contacts", "Dorothy Vaughan");
  await waitText("lookup-contacts", "Katherine Johnson");

  await pick("formatOnly");
  await waitText("lookup-contacts", "Grace Hopper");
  await waitText("lookup-phone-preview", "(650) 253-0000"); // the format it needs is in use

  await pick("unknown");
  await waitText("lookup-contacts-warning", "No contact found");

  await pick("extension");
  await waitText("lookup-for", "101");
  await waitText("lookup-error", "extension");
  await screenshot(browser, "sandbox-numbers");
});

test("resend and edit and resend (query and body) from the inspector; the token is added in Rust, never shown", async () => {
  await click("nav-inspector");
  await fill("inspector-filter", "14155550123");
  const count = async () => Number((await text("inspector-count")).match(/^(\d+)/)[1]);
  const before = await count();
  await (await browser.$('[data-testid="exchange-row"]')).click();
  await click("resend");
  await waitText("resend-outcome", "Sent again: 200");
  await browser.waitUntil(async () => (await count()) === before + 1, { timeout: 5000, timeoutMsg: "the resend joined the history" });

  await click("resend-edit");
  const lines = (await (await byTestId(browser, "resend-query")).getValue()).split("\n");
  assert.ok(lines.includes("jwtToken=<redacted>"), `the token is a placeholder: ${lines}`);
  assert.ok(lines.includes("phoneNumber=+14155550123"), `the query is shown decoded: ${lines}`);
  await fill("resend-query", lines.map((l) => (l.startsWith("phoneNumber=") ? "phoneNumber=+14155550100" : l)).join("\n"));
  await click("resend-send");
  await browser.waitUntil(async () => (await count()) === before + 2, { timeout: 5000, timeoutMsg: "the edited resend joined the history" });
  await waitText("resend-outcome", "Sent again: 200");

  await fill("inspector-filter", "14155550100");
  await (await browser.$('[data-testid="exchange-row"]')).click();
  const curl = await text("curl");
  assert.match(curl, /phoneNumber=%2B14155550100/, "the edited number went out");
  assert.match(curl, /jwtToken=<redacted>/, "copy-as-curl stays redacted");
  await waitText("inspector", "Ada Lovelace");
  const page = await browser.execute(() => document.body.innerText);
  assert.ok(!page.includes(API_KEY), "the API key is nowhere on screen");
  await screenshot(browser, "resend");

  // Edit a body: a create request (from a flow's Save) sent again for another number and name;
  // the CRM then has that contact.
  await fill("inspector-filter", "");
  await click("nav-flow");
  if (await (await byTestId(browser, "flow-new")).isExisting()) await click("flow-new");
  await typePhone(browser, "flow-phone", "+1 202-555-0134");
  await click("flow-lookup");
  const nameField = await byTestId(browser, "new-contact-name");
  await nameField.waitForExist({ timeout: 10000, timeoutMsg: "no match: the create row's form opens" });
  await nameField.setValue("Resend Source");
  await click("flow-save");
  await (await byTestId(browser, "flow-verify")).waitForExist({ timeout: 10000, timeoutMsg: "the Save went through" });
  await click("flow-new");
  await click("nav-inspector");
  await fill("inspector-filter", "POST");
  let create = null;
  await browser.waitUntil(
    async () => {
      // The newest first: the Save just made, on the server in use (older ones may be another
      // server's, which a resend does not reach).
      for (const row of await browser.$$('[data-testid="inspector"] [data-testid="exchange-row"]')) {
        const line = await row.getProperty("textContent");
        if (/\/contact\?/.test(line) && !/callLog/.test(line)) {
          create = row;
          break;
        }
      }
      return create !== null;
    },
    { timeout: 10000, timeoutMsg: "the Save's POST /contact is in the history" },
  );
  const box = await create.parentElement();
  if (!(await (await box.$('[data-testid="resend-edit"]')).isExisting())) await create.click();
  await (await box.$('[data-testid="resend-edit"]')).click();
  const bodyBox = await box.$('[data-testid="resend-body"]');
  await bodyBox.waitForExist({ timeout: 5000 });
  const body = JSON.parse(await bodyBox.getValue());
  assert.ok("newContactName" in body, `the create body is shown: ${JSON.stringify(body)}`);
  const edited = { ...body, phoneNumber: "+12025550133", newContactName: "Resent Edited Name" };
  await browser.execute(
    (el, value) => {
      el.value = value;
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    bodyBox,
    JSON.stringify(edited, null, 2),
  );
  const sent = await count();
  await (await box.$('[data-testid="resend-send"]')).click();
  await browser.waitUntil(async () => (await count()) === sent + 1, { timeout: 5000, timeoutMsg: "the edited create joined the history" });
  await (await box.$('[data-testid="resend-outcome"]')).waitForExist({ timeout: 5000 });
  assert.match(await (await box.$('[data-testid="resend-outcome"]')).getText(), /Sent again: 200/);
  await fill("inspector-filter", "");
  await click("nav-lookup");
  await typePhone(browser, "lookup-phone", "+1 202-555-0133");
  await click("lookup-run");
  await waitText("lookup-contacts", "Resent Edited Name");
});

test("the report exports as Markdown or one self-contained HTML page, with bodies and no secret", async () => {
  await click("nav-inspector");
  const format = await byTestId(browser, "report-format");
  for (const [choice, ext] of [["html", ".html"], ["markdown", ".md"]]) {
    await format.selectByAttribute("value", choice);
    const before = (await exists("report-path")) ? await text("report-path") : "";
    await click("export-report");
    await browser.waitUntil(async () => (await exists("report-path")) && (await text("report-path")) !== before, { timeout: 5000 });
    const path = (await browser.$('[data-testid="report-path"] code').getText()).trim();
    assert.ok(path.endsWith(ext), `${choice}: ${path}`);
    const report = readFileSync(path, "utf8");
    assert.ok(!report.includes(API_KEY), `${choice}: no API key in the report`);
    assert.ok(report.includes("Katherine Johnson") && report.includes("server http://127.0.0.1:"), `${choice}: bodies and servers`);
    if (choice === "html") {
      assert.ok(report.startsWith("<!doctype html>"), "an HTML page");
      for (const external of ["<script", "<link", "src=", "href=", "url("]) {
        assert.ok(!report.includes(external), `the page loads nothing (${external})`);
      }
    } else {
      assert.ok(report.includes("## Placeholder flows") && report.includes("Response body:"), "Markdown sections");
    }
  }
});

test("a hung connector can be cancelled: sign-in by its button, a lookup by Escape, a flow step from the bar, a resend by its own", async () => {
  await setServer(hungUrl);
  await waitText("session-pill", "Signed out");
  await click("nav-signin");
  await (await byTestId(browser, "login-apiKey")).setValue("hang-please");
  const logins = heldAt("/apiKeyLogin");
  await click("sign-in");
  const cancel = await byTestId(browser, "signin-cancel");
  await cancel.waitForExist({ timeout: 5000, timeoutMsg: "Cancel shows beside the busy sign-in" });
  await sentTo("/apiKeyLogin", logins);
  await cancel.click();
  await waitText("cancelled", "Cancelled after");
  assert.equal(await exists("form-error"), false, "a cancel is not an error");
  assert.equal(await errorToasts(), 0, "no error toast");

  await (await byTestId(browser, "login-apiKey")).setValue("a-key-that-works");
  await click("sign-in");
  await waitText("signed-in", "Hung Test");

  await click("nav-lookup");
  const phone = await typePhone(browser, "lookup-phone", "+1 415-555-0100");
  const lookups = heldAt("/contact");
  await click("lookup-run");
  await (await byTestId(browser, "lookup-cancel")).waitForExist({ timeout: 5000 });
  await sentTo("/contact", lookups);
  const started = Date.now();
  await browser.keys(["Escape"]);
  await waitText("cancelled", "The request had been sent");
  assert.ok(Date.now() - started < 5000, "the cancel ends the wait at once");
  assert.equal(await errorToasts(), 0, "no error toast");
  await screenshot(browser, "lookup-cancelled");

  // The flow has no Cancel of its own: the running-actions bar offers it.
  await click("nav-flow");
  const flowPhone = await typePhone(browser, "flow-phone", "+1 415-555-0100");
  const flowLookups = heldAt("/contact");
  await click("flow-lookup");
  await sentTo("/contact", flowLookups);
  // The number the lookup was sent for cannot change while its answer is awaited.
  assert.equal(await flowPhone.getAttribute("readonly"), "true", "the number is locked while its lookup is in flight");
  const barCancel = await byTestId(browser, "op-cancel");
  await barCancel.waitForExist({ timeout: 5000, timeoutMsg: "the running-actions bar offers Cancel" });
  await barCancel.click();
  await browser.waitUntil(
    async () => (await browser.execute(() => document.querySelector("main")?.textContent ?? "")).includes("Cancelled after"),
    { timeout: 5000, timeoutMsg: "the flow says its lookup was cancelled" },
  );
  // The bar goes once the cancelled call has settled (a moment after the flow shows it).
  await (await byTestId(browser, "running-ops")).waitForExist({
    reverse: true,
    timeout: 3000,
    timeoutMsg: "nothing is left running",
  });
  assert.equal(await errorToasts(), 0, "no error toast");

  // The inspector says honestly that no answer came.
  await click("nav-inspector");
  const first = await browser.$('[data-testid="inspector"] [data-testid="exchange-row"]');
  await first.waitForExist({ timeout: 5000 });
  assert.match(await first.getProperty("textContent"), /GET.*contact.*no answer/s);
  const page = await browser.execute(() => document.body.innerText);
  assert.ok(!page.includes(TOKEN), "the hung server's session token is not on screen");

  // A resend of that lookup hangs too, and its own Cancel ends the wait.
  const box = await first.parentElement();
  await first.scrollIntoView({ block: "center" });
  if (!(await (await box.$('[data-testid="resend"]')).isExisting())) await first.click();
  const resends = heldAt("/contact");
  await (await box.$('[data-testid="resend"]')).click();
  await sentTo("/contact", resends);
  const resendCancel = await box.$('[data-testid="resend-cancel"]');
  await resendCancel.waitForExist({ timeout: 5000, timeoutMsg: "the resend offers Cancel while it waits" });
  const cancelledAt = Date.now();
  await resendCancel.click();
  const outcome = await box.$('[data-testid="resend-outcome"]');
  await outcome.waitForExist({ timeout: 5000, timeoutMsg: "the resend says how it ended" });
  assert.match(await outcome.getText(), /Cancelled/, "the resend was cancelled");
  assert.ok(Date.now() - cancelledAt < 5000, "at once");
  assert.equal(await errorToasts(), 0, "no error toast");

  await click("server-reset");
  await waitText("session-server", "in-app sandbox");
});

test("demo mode masks the Agent's number as it is typed", async () => {
  await click("nav-profiles");
  await click("demo-toggle");
  const agent = await byTestId(browser, "profile-agent-number");
  await agent.clearValue();
  await agent.setValue("+14155550177");
  const masked = await agent.getValue();
  assert.ok(!/\d{3}/.test(masked) && masked.endsWith("77"), `masked while demo mode is on: ${masked}`);
  await click("demo-toggle");
  assert.equal(await (await byTestId(browser, "profile-agent-number")).getValue(), "+14155550177", "the real value was typed");
});

test("an OAuth refusal that arrives as an event shows on the sign-in form, not as a toast", async () => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-oauth-"));
  const file = join(dir, "oauth-manifest.json");
  writeFileSync(
    file,
    JSON.stringify({
      serverUrl: hungUrl,
      platforms: {
        oc: {
          name: "oc",
          displayName: "OAuth CRM",
          auth: { type: "oauth", oauth: { authUrl: "http://127.0.0.1:9/authorize", clientId: "e2e-client", redirectUri: "http://127.0.0.1/callback" } },
        },
      },
    }),
  );
  await click("open-url");
  await (await byTestId(browser, "manifest-url")).setValue(file);
  await click("manifest-url-load");
  await waitText("manifest-source", "oauth-manifest.json");
  await click("nav-signin");
  await click("oauth-loopback");
  await (await byTestId(browser, "oauth-pending")).waitForExist({ timeout: 5000 });
  const redirect = (await browser.$('[data-testid="oauth-pending"] code').getText()).trim();
  const reply = await fetch(`${redirect}?error=access_denied&error_description=Denied+by+e2e&state=platform%3Doc`);
  assert.ok(reply.status < 500, `the listener answered the browser: ${reply.status}`);
  await waitText("form-error", "access_denied");
  assert.equal(await errorToasts(), 0, "the refusal is on the form, not in a toast");
  await screenshot(browser, "oauth-refused-inline");
  await ensureBundled(browser);
});
