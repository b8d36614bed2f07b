// A session never leaves the server that issued it, in the real window: sign in to the in-app
// sandbox, point the profile at a second local server that records every request, look a number
// up, and that server must receive nothing carrying the sandbox's session; going back signs in
// again. Then one lookup runs through the window and through the `switchboard` CLI, and both must
// give the same answer, because both are the same engine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { byTestId, clickStill, ensureBundled, screenshot, signIn, typePhone, useApp, waitText as waitFor } from "./driver.mjs";

let browser;
useApp((b) => (browser = b));

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";
const CLI = resolve(import.meta.dirname, "../../target/debug/switchboard");
const waitText = (id, expected, timeout) => waitFor(browser, id, expected, timeout);
const click = (id) => clickStill(browser, id);

/** A connector-like server on 127.0.0.1 that remembers every request it receives. */
const received = [];
let recorder;
let recorderUrl;

before(async () => {
  recorder = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null, body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ successful: true, contact: [] }));
    });
  });
  await new Promise((r) => recorder.listen(0, "127.0.0.1", r));
  recorderUrl = `http://127.0.0.1:${recorder.address().port}`;
});

after(() => new Promise((r) => recorder.close(r)));

async function setServer(url) {
  const input = await byTestId(browser, "server-url");
  await input.clearValue();
  await input.setValue(url);
  await click("server-use");
}

test("a session stays with the server that issued it", async () => {
  await ensureBundled(browser);
  await signIn(browser, API_KEY);
  await waitText("session-server", "Signed in to sandbox on the in-app sandbox");

  // Another server: signed out there, and the UI says so.
  await setServer(recorderUrl);
  await waitText("session-pill", "Signed out");
  await waitText("session-server", `Not signed in to sandbox at ${recorderUrl}`);

  // A lookup is refused before anything is sent, with a way to sign in.
  await click("nav-lookup");
  await typePhone(browser, "lookup-phone", "+1 415-555-0123");
  await click("lookup-run");
  await waitText("signin-needed", `Not signed in to sandbox at ${recorderUrl}`);
  assert.ok(await (await byTestId(browser, "go-signin")).isExisting(), "the box offers Sign in");
  await screenshot(browser, "not-signed-in-elsewhere");
  const withSession = received.filter(
    (r) => r.url.includes("jwtToken") || r.authorization !== null || r.body.includes(API_KEY),
  );
  assert.deepEqual(withSession, [], "the second server received no session token and no API key");
  assert.deepEqual(received, [], `nothing at all was sent to the second server: ${JSON.stringify(received)}`);

  // Back to the sandbox: signed in again with its stored session, nothing re-entered.
  await click("server-reset");
  await waitText("session-server", "Signed in to");
  await waitText("session-server", "Signed in to sandbox on the in-app sandbox");
  await click("nav-lookup");
  await click("lookup-run");
  await waitText("lookup-contacts", "Katherine Johnson");
  assert.deepEqual(received, [], "still nothing reached the second server");
});

/** The CLI, with the run's keychain service, against the in-app sandbox; JSON out. */
function cli(server, ...args) {
  const r = spawnSync(CLI, ["--server", server, "--json", ...args], { encoding: "utf8", env: process.env });
  assert.equal(r.status, 0, `switchboard ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test("the CLI and the app give the same answer for the same lookup", async () => {
  const sandboxUrl = (await (await browser.$("nav .sandbox code")).getText()).trim();
  assert.match(sandboxUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

  // The window: signed in to the sandbox, look a shared number up.
  await click("nav-lookup");
  const phone = await typePhone(browser, "lookup-phone", "+1 415-555-0123");
  await click("lookup-run");
  await waitText("lookup-contacts", "Dorothy Vaughan");
  const shownRows = await (await byTestId(browser, "lookup-contacts")).$$("li .name");
  const shown = [];
  for (const row of shownRows) shown.push((await row.getText()).trim());
  const shownLints = (await (await byTestId(browser, "lints")).getText());

  // The CLI: its own session for this server (sessions are per server, not shared with the
  // app's in-app binding), then the same lookup.
  const login = cli(sandboxUrl, "login", "--api-key", API_KEY);
  assert.equal(login.name, "Sandbox Demo User");
  const found = cli(sandboxUrl, "find", "+1 415-555-0123");
  const names = found.contact.map((c) => c.name);
  assert.deepEqual(shown, names, "the window lists the same contacts, in the same order, as the CLI");
  assert.ok(found.lints.length > 0, "this number raises lints");
  for (const l of found.lints) {
    assert.ok(shownLints.includes(l.message), `the window shows the CLI's lint "${l.message}"`);
  }
});
