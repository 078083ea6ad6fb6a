import fs from "node:fs";
import { expect, LoginPage, sim, test } from "./fixtures";

test.afterEach(async () => {
  await sim.heal();
});

test("an injected scenario raises the incident banner; on-call acknowledges, runs the runbook's action, the incident resolves and the report downloads", async ({
  page,
  login,
}) => {
  await login.signInAs("oncall");
  await sim.inject("trade-director-stuck");
  await page.goto("/");
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Trade Director Not Processing Directives" });
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner.getByTestId("incident-level")).toContainText("Level 1");

  await banner.getByRole("button", { name: /Acknowledge/ }).click();
  await expect(banner).toContainText("acknowledged by oncall@demo.local");

  await banner.getByRole("link", { name: /^INC-\d+$/ }).click();
  await expect(page).toHaveURL(/\/incidents\/\d+$/);
  const steps = page.getByTestId("runbook-steps");
  await expect(steps).toContainText("Reset circuit breaker");
  await steps.getByRole("button", { name: "Reset circuit" }).click();
  const dialog = page.getByRole("dialog", { name: "Reset circuit" });
  await expect(dialog.getByLabel("Incident or ticket (optional)")).toHaveValue(/^INC-\d+$/);
  await dialog.getByLabel("Reason").fill("Runbook scenario 2 step 3: circuit open, resetting");
  await dialog.getByRole("button", { name: "Confirm: Reset circuit" }).click();
  await expect(dialog.getByTestId("action-result")).toHaveAttribute("data-outcome", "succeeded");
  await dialog.getByRole("button", { name: "Close" }).click();

  // The incident resolves once its checks stay ok for RESOLVE_AFTER_EVALUATIONS evaluations.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("incident-status")).toContainText("Resolved", { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("runbook-steps").locator('li[data-done="true"]')).toContainText("Reset circuit breaker");
  await expect(page.getByTestId("timeline")).toContainText("circuit.reset → succeeded by oncall@demo.local");
  // The webhook (playwright.config.ts) refuses connections: the page says so, naming it by origin only.
  const failing = page.getByTestId("webhook-failing");
  await expect(failing).toContainText(/Notifications failing: opened to http:\/\/127\.0\.0\.1:9\/… \(#[0-9a-f]{8}\) \((?!fetch failed)[^)]+\)/);
  expect(await page.locator("body").innerText()).not.toContain("e2e-webhook-secret");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download report (Markdown)" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^INC-\d+-report\.md$/);
  const report = fs.readFileSync((await download.path())!, "utf8");
  expect(report).toContain("## Actions taken");
  expect(report).toMatch(/\| circuit\.reset \| succeeded \| oncall@demo\.local \|/);
  expect(report).toContain("- [ ] Write incident report");
  expect(report).toContain("## Notification failures");
  expect(report).not.toContain("e2e-webhook-secret");
});

test("the runbook page lists every scenario, fills in commands and flags unset contacts", async ({ page, login }) => {
  await login.signInAs("oncall");
  await page.goto("/runbook");
  for (const title of [
    "Signal Generator Crash",
    "Trade Director Not Processing Directives",
    "Database Connection Pool Exhaustion",
    "Cloudflare Worker Rate Limiting",
    "MT5 EA Disconnected",
  ]) {
    await expect(page.getByRole("heading", { name: new RegExp(title) })).toBeVisible();
  }
  await expect(page.locator("#signal-generator-crash code").nth(1)).toHaveText(/^psql -h \S+ -p \d+ -U \[user\] -d \S+ -c "SELECT 1"$/);
  await expect(page.getByTestId("contacts")).toContainText("Database Admin: not set (still the runbook's placeholder)");
});

test("stakeholders see the incident's level, elapsed time and the notes marked public", async ({ page, login, browser }) => {
  await login.signInAs("oncall");
  await sim.inject("signal-generator-crash");
  await page.goto("/");
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await banner.getByRole("link", { name: /^INC-\d+$/ }).click();
  await page.getByLabel("Add a note").fill("Engineers are restarting the signal generator");
  await page.getByLabel(/Public: show it to stakeholders/).check();
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("timeline")).toContainText("(public): Engineers are restarting the signal generator");
  await page.getByLabel("Add a note").fill("Internal: suspect the deploy at 14:00");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("timeline")).toContainText("Internal: suspect the deploy");

  const context = await browser.newContext();
  const viewer = await context.newPage();
  try {
    await new LoginPage(viewer).signInAs("viewer");
    await expect(viewer).toHaveURL(/\/status$/);
    await expect(viewer.getByTestId("status-incident")).toContainText(/Incident level 1, open for/);
    await expect(viewer.getByTestId("status-notes")).toContainText("Engineers are restarting the signal generator");
    await expect(viewer.getByTestId("status-notes")).not.toContainText("Internal");
    // The API behind the page carries the same reduced incident: no internal notes, no check data.
    const status = await (await viewer.request.get("/api/status")).json();
    expect(Object.keys(status.incident).sort()).toEqual(["level", "publicNotes", "startedAt", "title"]);
    expect(JSON.stringify(status.incident)).toContain("Engineers are restarting the signal generator");
    expect(JSON.stringify(status.incident)).not.toContain("Internal");
  } finally {
    await context.close();
  }
});
