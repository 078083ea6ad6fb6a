/**
 * The runbook file drives the console: the e2e console runs with RUNBOOK_FILE on a copy of the
 * shipped runbook, checked every second (playwright.config.ts). Editing the file while the console
 * runs changes /runbook (version and diff) and the steps beside a critical panel, without a
 * restart; the incident opened afterwards records that version and its report names it; a broken
 * file keeps the last good version and tells on-call the line and the problem.
 */
import fs from "node:fs";
import { e2eEnv } from "../playwright.config";
import { expect, LoginPage, Panel, sim, test } from "./fixtures";

const SHIPPED = fs.readFileSync("runbook/recovery-runbook.md", "utf8");

/**
 * Replace each `from` with its `to`, in one write: the console reloads the file every second, and
 * separate writes could be read half-done, as a version of their own (the diff on /runbook is
 * against the version before, so it would show only the last edit).
 */
function edit(...changes: [from: string, to: string][]) {
  let text = fs.readFileSync(e2eEnv.runbookFile, "utf8");
  for (const [from, to] of changes) {
    expect(text.split(from).length - 1, `"${from}" once in the runbook`).toBe(1);
    text = text.replace(from, to);
  }
  // Renamed into place, as editors save: never read half-written.
  fs.writeFileSync(`${e2eEnv.runbookFile}.tmp`, text);
  fs.renameSync(`${e2eEnv.runbookFile}.tmp`, e2eEnv.runbookFile);
}

test.afterEach(async () => {
  fs.writeFileSync(e2eEnv.runbookFile, SHIPPED);
  await sim.heal();
});

test("editing the runbook file changes /runbook and the steps beside a panel within the reload interval; the incident's report names the version", async ({
  page,
  login,
}) => {
  await login.signInAs("oncall");
  // No scenario 1 incident left open by an earlier spec: the one opened below must be this test's.
  await page.goto("/");
  await expect(page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" })).toHaveCount(0, { timeout: 30_000 });

  await page.goto("/runbook");
  const version = page.getByTestId("runbook-version");
  await expect(version).toContainText("Last Updated 2026-01-03, Owner SRE Team");
  const before = await version.getAttribute("data-hash");

  edit(
    ["1. Check logs: `tail -f logs/signal-generator.log`", "1. Read the generator's journal: `journalctl -u signal-generator -f`"],
    ["**Last Updated**: 2026-01-03", "**Last Updated**: 2026-02-10"],
    ["## Post-Incident", "## Vendor Quirks\n\nThe broker restarts its gateway at 22:00 UTC.\n\n## Post-Incident"],
  );
  const editedAt = Date.now();
  // RUNBOOK_RELOAD_SECONDS is 1: the page follows within a few seconds, with no restart.
  await expect(async () => {
    await page.reload();
    await expect(version).toContainText("Last Updated 2026-02-10, Owner SRE Team", { timeout: 500 });
  }).toPass({ timeout: 5_000 });
  expect(Date.now() - editedAt).toBeLessThan(5_000);
  const after = await version.getAttribute("data-hash");
  expect(after).not.toBe(before);
  const diff = page.getByTestId("runbook-diff");
  await expect(diff.locator('[data-kind="removed"]')).toHaveText([
    "- 1. Check logs: `tail -f logs/signal-generator.log`",
    /^- \*\*Last Updated\*\*: 2026-01-03\s*$/,
  ]);
  await expect(diff.locator('[data-kind="added"]')).toHaveText([
    "+ 1. Read the generator's journal: `journalctl -u signal-generator -f`",
    "+ ## Vendor Quirks",
    /^\+\s*$/,
    "+ The broker restarts its gateway at 22:00 UTC.",
    /^\+\s*$/,
    /^\+ \*\*Last Updated\*\*: 2026-02-10\s*$/,
  ]);
  await expect(page.locator("#signal-generator-crash code").first()).toHaveText("journalctl -u signal-generator -f");
  // A section the console does not know is shown, not dropped.
  const unknown = page.getByTestId("runbook-unknown-section");
  await expect(unknown.getByRole("heading")).toHaveText("Vendor Quirks");
  await expect(unknown).toContainText("The broker restarts its gateway at 22:00 UTC.");

  // Beside the critical panel: the edited step.
  await page.goto("/");
  const panel = new Panel(page, "signals_recent");
  await sim.inject("signal-generator-crash");
  await panel.expectStatus("critical");
  const steps = panel.root.getByTestId("panel-runbook").getByTestId("runbook-steps").locator(":scope > li");
  await expect(steps.first()).toContainText("Read the generator's journal");
  await expect(steps.first().locator("code")).toHaveText("journalctl -u signal-generator -f");

  // The incident opened now records the version in force, and its report names it.
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await banner.getByRole("link", { name: /^INC-\d+$/ }).click();
  const named = `${after!.slice(0, 12)} (Last Updated 2026-02-10, Owner SRE Team)`;
  await expect(page.getByTestId("incident-runbook-version")).toHaveText(named);
  await expect(page.getByRole("link", { name: "Update runbook with lessons learned" })).toHaveAttribute("href", "/runbook");
  await page.getByRole("link", { name: "Printable report" }).click();
  // The printable report is the Markdown rendered as HTML: its text reads as the labels say.
  await expect(page.getByTestId("report")).toContainText(`Runbook version: ${named}`);
});

test("a broken runbook file keeps the last good version serving, and on-call sees the line and the problem (a viewer does not)", async ({
  page,
  login,
  browser,
}) => {
  await login.signInAs("oncall");
  await page.goto("/runbook");
  const version = page.getByTestId("runbook-version");
  const good = await version.getAttribute("data-hash");
  edit(["### 5. MT5 EA Disconnected", "### MT5 EA Disconnected"]);
  const line = fs.readFileSync(e2eEnv.runbookFile, "utf8").split("\n").indexOf("### MT5 EA Disconnected") + 1;
  const banner = page.getByTestId("runbook-problem");
  await expect(async () => {
    await page.reload();
    await expect(banner).toContainText(`line ${line}: scenario heading "MT5 EA Disconnected" must be "N. Title"`, { timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await expect(version).toHaveAttribute("data-hash", good!);
  await expect(page.getByRole("heading", { name: "5. MT5 EA Disconnected" })).toBeVisible();
  // /api/health says which version serves, and that the file on disk is not it.
  const health = (await (await page.request.get("/api/health")).json()) as { runbook: { hash: string; valid: boolean } };
  expect(health.runbook).toMatchObject({ hash: good, valid: false });
  const context = await browser.newContext();
  try {
    const viewer = await context.newPage();
    await new LoginPage(viewer).signInAs("viewer");
    await viewer.goto("/runbook");
    await expect(viewer.getByTestId("runbook-version")).toHaveAttribute("data-hash", good!);
    await expect(viewer.getByTestId("runbook-problem")).toHaveCount(0);
    await expect(viewer.getByTestId("runbook-version")).not.toContainText("does not load");
  } finally {
    await context.close();
  }

  // Fixed: the banner goes.
  fs.writeFileSync(e2eEnv.runbookFile, SHIPPED);
  await expect(async () => {
    await page.reload();
    await expect(banner).toHaveCount(0, { timeout: 500 });
  }).toPass({ timeout: 5_000 });
});
