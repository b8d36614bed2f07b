// The Runs page in the real window: pasted numbers looked up as a batch on the app's session, with
// live progress, a results table, a latency chart, and the failure opened to its expectation and
// the numbers that failed. Nothing secret reaches the page.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byTestId, clickStill, ensureBundled, screenshot, signIn, useApp, waitText } from "./driver.mjs";

let browser;
useApp((b) => (browser = b));

/** Lines for a textarea: WebDriver types Enter as U+E007 (a "\n" would be dropped). */
const lines = (...l) => l.join("\uE007");

const API_KEY = process.env.SWITCHBOARD_SANDBOX_API_KEY ?? "demo";

test("pasted numbers run as a batch with a results table and a latency chart", async () => {
  await ensureBundled(browser);
  await signIn(browser, API_KEY);
  await clickStill(browser, "nav-runs");
  await (await byTestId(browser, "runs-numbers")).setValue(lines("+14155550100", "+16502530000", "not a number", "+12125550199"));
  await (await byTestId(browser, "runs-concurrency")).setValue("2");
  await clickStill(browser, "runs-run-numbers");
  // One line is not a number: the batch's default expectation (no errors) fails, naming it.
  await waitText(browser, "runs-verdict", "Failed", 20000);
  await screenshot(browser, "runs-failed");
  const rows = await browser.$$('[data-testid="runs-step"]');
  assert.equal(rows.length, 1);
  await waitText(browser, "runs-results", "batch 4 numbers (2 at once)");
  await waitText(browser, "runs-results", "errors: expected 0, got 1 (1 invalid input)");
  assert.ok(await (await byTestId(browser, "runs-chart")).isExisting(), "a latency chart");
  const bars = await (await byTestId(browser, "runs-chart")).$$("rect");
  assert.ok(bars.length >= 1, "the chart has bars");
  await (await rows[0].$("button.open")).click();
  await waitText(browser, "runs-results", "line 3: not a number");
  for (const f of ["junit", "json", "html", "markdown"]) {
    assert.ok(await (await byTestId(browser, `runs-export-${f}`)).isExisting(), `export as ${f}`);
  }
  const page = await browser.execute(() => document.body.innerHTML);
  assert.ok(!page.includes(API_KEY), "the API key is not on the page");
  assert.ok(!page.includes("eyJ"), "no session token on the page");
  await screenshot(browser, "runs");
});

test("a clean batch passes", async () => {
  await (await byTestId(browser, "runs-numbers")).setValue(lines("+14155550100", "+14155550123"));
  await (await byTestId(browser, "runs-concurrency")).clearValue();
  await clickStill(browser, "runs-run-numbers");
  await waitText(browser, "runs-verdict", "Passed", 20000).catch(async (e) => {
    await screenshot(browser, "runs-not-passed");
    throw e;
  });
  await waitText(browser, "runs-results", "2 numbers, 0 failed");
  await screenshot(browser, "runs-passed");
});
