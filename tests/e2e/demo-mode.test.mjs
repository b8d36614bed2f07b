// Demo mode in the real window: with it on, a lookup of a shared number, the manual flow on an
// unknown number (lookup, a typed name, Save, Verify) and the inspector (every exchange opened) must show none of the numbers
// used (E.164, as typed, percent-encoded) and none of the contacts' names, in the page's text or in
// any field's value. The file leaves things as it found them: demo mode off, and, when it was the
// one to sign in and to make requests, signed out with the history cleared.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byTestId, clickStill, ensureBundled, screenshot, signIn, useApp, waitText as waitFor } from "./driver.mjs";

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";

let browser;
useApp((b) => (browser = b));

const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);
const click = (id) => clickStill(browser, id);

const SHARED = "+1 415-555-0123"; // Katherine Johnson and Dorothy Vaughan on the sandbox
const UNKNOWN = "(202) 555-0144"; // no contact on the sandbox
const SHORT = "+1 303-555-014"; // a digit short: refused, its error quotes it
const NEEDLES = [
  // The shared number: E.164, digits, as typed, national, percent-encoded.
  "+14155550123", "14155550123", "4155550123", "+1 415-555-0123", "415-555-0123", "555-0123", "5550123",
  "%2B14155550123", "%2B1%20415-555-0123", "%2B1+415-555-0123", "415%20555",
  // The unknown number.
  "+12025550144", "12025550144", "2025550144", "(202) 555-0144", "202) 555-0144", "555-0144", "5550144",
  "%2B12025550144", "%28202%29",
  // The short number, as typed and as digits.
  "+1 303-555-014", "303-555-014", "303555014", "+1303555014",
  // The contacts' names, whole and by word, and the placeholder's name typed in the flow.
  "Katherine Johnson", "Dorothy Vaughan", "Katherine", "Johnson", "Dorothy", "Vaughan",
  "Wilma Quillfeather", "Wilma", "Quillfeather",
];
const TYPED_NAME = "Wilma Quillfeather";

/** Everything a person can read now or after a click or a hover: the whole document's text
 * (the other pages' panels too, which are hidden, not removed), every field's value, and the
 * attributes that show as text (placeholders, tooltips, accessible names, image text). */
async function onScreen() {
  return browser.execute(() =>
    [
      document.documentElement.textContent,
      document.body.innerText,
      ...[...document.querySelectorAll("input, textarea, select")].map((el) => el.value ?? ""),
      ...[...document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")].flatMap((el) =>
        ["placeholder", "title", "aria-label", "alt"].map((a) => el.getAttribute(a) ?? ""),
      ),
    ].join("\n"),
  );
}

async function hits(where) {
  const seen = await onScreen();
  return NEEDLES.filter((n) => seen.includes(n)).map((n) => `${where}: ${n}`);
}

let signedInHere = false;
let historyWasEmpty = false;

test("demo mode shows no number and no name anywhere: lookup, flow, inspector", async () => {
  await ensureBundled(browser);
  // Only this file's requests are in the history when it starts with none (then it clears them).
  await click("nav-inspector");
  await (await byTestId(browser, "inspector")).waitForExist({ timeout: 10000 });
  historyWasEmpty = await (await byTestId(browser, "inspector-empty")).isExisting();
  await click("nav-signin");
  const form = await byTestId(browser, "login-apiKey");
  const session = await byTestId(browser, "signed-in");
  await browser.waitUntil(async () => (await form.isExisting()) || (await session.isExisting()), { timeout: 10000 });
  signedInHere = await form.isExisting();
  await signIn(browser, API_KEY);

  const toggle = await byTestId(browser, "demo-toggle");
  if ((await toggle.getAttribute("aria-pressed")) !== "true") await click("demo-toggle");
  await waitText("demo-toggle", "Demo mode on");

  const found = [];

  // A lookup of the shared number, typed with demo mode on.
  await click("nav-lookup");
  const phone = await byTestId(browser, "lookup-phone");
  await phone.clearValue();
  await phone.setValue(SHARED);
  await waitText("lookup-phone-e164", "+•••••••••23");
  assert.equal(await phone.getValue(), "+• •••-•••-••23", "the field shows the typed number masked");
  await click("lookup-run");
  await waitText("lookup-contacts", "Create new contact...");
  const rows = await (await byTestId(browser, "lookup-contacts")).$$('[data-testid="contact-row"]');
  assert.equal(rows.length, 3, "both contacts and the create row are listed");
  assert.match(await (await byTestId(browser, "lookup-contacts")).getText(), /K•+ J•+/, "names keep their initials");
  assert.match(
    await (await byTestId(browser, "lookup-contacts")).getText(),
    /Create new contact\.\.\./,
    "the client's create row is an action, not a name: shown as is",
  );
  await waitText("lookup-log-form", "Save to");
  found.push(...(await hits("lookup")));
  await screenshot(browser, "demo-lookup");

  // An inline error box that quotes what was typed (a digit short): masked like the rest.
  await phone.clearValue();
  await phone.setValue(SHORT);
  await click("lookup-run");
  const refused = await browser.$('main > div:not([hidden]) [data-testid="form-error"]');
  await refused.waitForExist({ timeout: 10000, timeoutMsg: "the short number is refused inline" });
  await browser.waitUntil(async () => (await refused.getText()).includes("Nothing was sent"), { timeout: 10000 });
  found.push(...(await hits("lookup refused")));
  await screenshot(browser, "demo-lookup-refused");
  // The shared number's results back on the page (the last test turns demo mode off over them).
  await phone.clearValue();
  await phone.setValue(SHARED);
  await waitText("lookup-phone-e164", "+•••••••••23");
  await click("lookup-run");
  await waitText("lookup-contacts", "Create new contact...");

  // The manual flow's lookup of an unknown number, with the connector's toast opened.
  await click("nav-flow");
  if (await (await byTestId(browser, "flow-new")).isExisting()) await click("flow-new");
  const flowPhone = await byTestId(browser, "flow-phone");
  await flowPhone.clearValue();
  await flowPhone.setValue(UNKNOWN);
  await waitText("flow-phone-e164", "+•••••••••44");
  await click("flow-lookup");
  await waitText("flow-contact-list-warning", "No contact found");
  const warning = await browser.$('[data-testid="toast"][data-kind="warning"]');
  if (await warning.isExisting()) {
    const details = await warning.$("button=Details");
    if (await details.isExisting()) await details.click();
  }
  found.push(...(await hits("flow")));
  await screenshot(browser, "demo-flow");

  // The flow's Save and Verify, with a name typed in demo mode: the field shows it masked.
  await (await byTestId(browser, "new-contact-name")).waitForExist({ timeout: 5000 });
  await (await byTestId(browser, "new-contact-name")).setValue(TYPED_NAME);
  assert.equal(await (await byTestId(browser, "new-contact-name")).getValue(), "W•••• Q•••••••••••", "the field shows the typed name masked");
  await click("flow-save");
  const verify = await byTestId(browser, "flow-verify");
  await verify.waitForExist({ timeout: 10000, timeoutMsg: "the Save created the contact and logged the call" });
  await click("flow-verify");
  await waitText("verify-contact", "✓ A new lookup");
  found.push(...(await hits("flow after Save and Verify")));
  await screenshot(browser, "demo-flow-verified");

  // The inspector, every exchange opened (URL, curl, bodies).
  await click("nav-inspector");
  const inspector = await byTestId(browser, "inspector");
  await inspector.waitUntil(async () => (await inspector.$$('[data-testid="exchange-row"]')).length >= 2, {
    timeout: 10000,
    timeoutMsg: "the lookup and the flow's lookup are listed",
  });
  for (const row of await inspector.$$('[data-testid="exchange-row"]')) {
    await row.scrollIntoView({ block: "center" });
    await row.click();
  }
  found.push(...(await hits("inspector")));
  await screenshot(browser, "demo-inspector");

  assert.deepEqual(found, [], "nothing on screen gives a number or a name away");
});

test("with demo mode off again, the same screens show the numbers and names (the scan sees them)", async () => {
  await click("demo-toggle");
  await waitText("demo-toggle", "Demo mode");
  assert.equal(await (await byTestId(browser, "demo-toggle")).getAttribute("aria-pressed"), "false");
  await click("nav-lookup");
  await waitText("lookup-contacts", "Katherine Johnson");
  assert.equal(await (await byTestId(browser, "lookup-phone")).getValue(), SHARED, "the real number was kept all along");
  const seen = await hits("lookup");
  assert.ok(seen.some((h) => h.endsWith("Katherine Johnson")), `the scan finds the name: ${seen.join(", ")}`);
  assert.ok(seen.some((h) => h.endsWith("+1 415-555-0123")), "the scan finds the typed number");

  // Leave no trace for the files after this one.
  await click("nav-flow");
  if (await (await byTestId(browser, "flow-new")).isExisting()) await click("flow-new");
  if (signedInHere) {
    await click("nav-signin");
    await click("sign-out");
    await (await byTestId(browser, "login-apiKey")).waitForExist({ timeout: 10000 });
  }
  // Last, so the sign-out's own request goes too.
  if (historyWasEmpty) {
    await click("nav-inspector");
    await (await browser.$("button=Clear")).click();
    await waitText("inspector-empty", "No requests yet.");
  }
});
