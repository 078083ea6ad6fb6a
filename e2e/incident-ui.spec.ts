/**
 * The incident UI where the on-call meets it (issues 7 and 4): the runbook's recovery steps beside
 * a critical panel, the emergency contacts where they are needed, and the action dialog from the
 * keyboard.
 *
 * The e2e world uses contacts.example.json (sim/demo.ts), whose entries are all still the
 * runbook's placeholders, so every contact shows as "not set"; what these tests pin down is that
 * the right contact appears beside the right scenario. ESCALATION_L2_MINUTES is not compressed for
 * e2e (the runbook's 15 minutes): to reach Level 2 without waiting, the L2 test moves the open
 * incident's start back in the console store, the same thing an injected clock does in the DB
 * tests (tests/db/incidents.test.ts).
 */
import type { Locator } from "@playwright/test";
import { expect, Panel, sim, test } from "./fixtures";
import { injectedScenarios } from "./support/injected-scenarios";

const world = injectedScenarios();
const { inject } = world;

test.describe("a critical panel shows its runbook scenario", () => {
  test("signal generator crash: the signals panel lists scenario 1's recovery steps, in order, with the commands filled in", async ({ page, login }) => {
    await login.signInAs("oncall");
    const panel = new Panel(page, "signals_recent");
    await panel.expectStatus("ok");
    const runbook = panel.root.getByTestId("panel-runbook");
    await expect(runbook).toHaveCount(0);

    await inject("signal-generator-crash");
    await panel.expectStatus("critical");
    await expect(runbook).toBeVisible();
    await expect(runbook.locator("summary")).toHaveText("Runbook 1: Signal Generator Crash");
    const steps = runbook.getByTestId("runbook-steps").locator(":scope > li");
    await expect(steps).toHaveText([
      /^Check logs/,
      /^Verify database connectivity/,
      /^Restart service \(or container equivalent\)/,
      /^Verify recovery: Check for new entries in signal_outbox/,
    ]);
    await expect(steps.locator("code")).toHaveText([
      "tail -f logs/signal-generator.log",
      /^psql -h \S+ -p \d+ -U \S+ -d \S+ -c "SELECT 1"$/,
      "systemctl restart signal-generator",
    ]);
    await expect(steps.nth(3)).toHaveAttribute("data-kind", "manual");
    // Scenario 1 names only the on-call engineer, who is in the banner: no contact beside the steps.
    await expect(runbook).not.toContainText(/Database Admin|Broker Support|On-Call Engineer/);
    // Only critical panels carry a runbook.
    await expect(page.locator('[data-testid^="panel-"]:not([data-status="critical"]) [data-testid="panel-runbook"]')).toHaveCount(0);

    await sim.heal();
    await panel.expectStatus("ok");
    await expect(runbook).toHaveCount(0);
  });
});

test.describe("emergency contacts where they are needed", () => {
  test("pool exhaustion: the database admin is named beside scenario 3, flagged as not set", async ({ page, login }) => {
    await login.signInAs("oncall");
    await inject("pool-exhaustion");
    const idle = new Panel(page, "idle_transactions");
    await idle.expectStatus("critical");
    const runbook = idle.root.getByTestId("panel-runbook");
    await expect(runbook.locator("summary")).toHaveText("Runbook 3: Database Connection Pool Exhaustion");
    await expect(runbook.getByText(/^Database Admin: /)).toHaveText("Database Admin: not set (still the runbook's placeholder)");
    await expect(runbook).not.toContainText(/Broker Support|On-Call Engineer/);
  });

  test("EA disconnected: broker support is named beside scenario 5, flagged as not set", async ({ page, login }) => {
    await login.signInAs("oncall");
    await inject("ea-disconnected");
    const heartbeat = new Panel(page, "ea_heartbeat");
    // The last heartbeat must age EA_HEARTBEAT_STALE_SECONDS (10) first.
    await heartbeat.expectStatus("critical", 30_000);
    const runbook = heartbeat.root.getByTestId("panel-runbook");
    await expect(runbook.locator("summary")).toHaveText("Runbook 5: MT5 EA Disconnected");
    await expect(runbook.getByText(/^Broker Support: /)).toHaveText("Broker Support: not set (still the runbook's placeholder)");
    await expect(runbook).not.toContainText(/Database Admin|On-Call Engineer/);
  });

  test("the banner names the on-call engineer from Level 2, not before", async ({ page, login }) => {
    await login.signInAs("oncall");
    await inject("signal-generator-crash");
    await new Panel(page, "signals_recent").expectStatus("critical");
    const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
    await expect(banner).toBeVisible({ timeout: 20_000 });
    await expect(banner).toHaveAttribute("data-level", "1");
    await expect(banner.getByTestId("incident-level")).toContainText("Level 1:");
    await expect(banner.getByTestId("oncall-contact")).toHaveCount(0);

    const href = await banner.getByRole("link", { name: /^INC-\d+$/ }).getAttribute("href");
    const id = Number(/\/incidents\/(\d+)$/.exec(href ?? "")?.[1]);
    expect(id, `incident link ${href}`).toBeGreaterThan(0);
    // The escalation clock moved on: the incident started 16 minutes ago (L2 begins at 15).
    const moved = await world.sql`update console.incidents set started_at = started_at - interval '16 minutes' where id = ${id} and status = 'open'`;
    expect(moved.count).toBe(1);

    // The banner polls every 5 s.
    await expect(banner).toHaveAttribute("data-level", "2", { timeout: 15_000 });
    await expect(banner.getByTestId("incident-level")).toContainText("Level 2: engage the on-call engineer");
    await expect(banner.getByTestId("oncall-contact")).toHaveText("On-call engineer: not set (still the runbook's placeholder)");
  });
});

/** Where the keyboard focus is, seen from the dialog: inside it, and still on the page at all. */
async function focusIn(dialog: Locator) {
  return dialog.evaluate((d) => {
    const a = document.activeElement;
    const what =
      !a || a === document.body
        ? "nothing (left the page)"
        : a === d
          ? "the dialog"
          : `${a.tagName.toLowerCase()} ${a.getAttribute("name") ?? a.textContent?.trim() ?? ""}`;
    return { inside: document.hasFocus() && !!a && d.contains(a), what };
  });
}

test("the action dialog is keyboard operable: it opens from the keyboard, Tab and Shift+Tab stay inside it, Escape closes it and focus returns to its button", async ({
  page,
  login,
}) => {
  await login.signInAs("oncall");
  const button = new Panel(page, "circuit_breaker").root.getByRole("button", { name: "Reset circuit", exact: true });
  await button.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Reset circuit" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("preview-summary")).toBeVisible();
  expect((await focusIn(dialog)).inside, "focus moves into the dialog when it opens").toBe(true);

  // Twice round the dialog's controls in each direction: focus never leaves it, and each control is reached.
  const controls = ["textarea reason", "input incidentRef", "button Confirm: Reset circuit", "button Cancel"];
  const path: string[] = [];
  for (const key of ["Tab", "Shift+Tab"]) {
    const seen = new Set<string>();
    for (let i = 0; i < 2 * controls.length + 1; i++) {
      await page.keyboard.press(key);
      const f = await focusIn(dialog);
      path.push(`${key}: ${f.what}`);
      expect(f.inside, `focus left the dialog:\n${path.join("\n")}`).toBe(true);
      seen.add(f.what);
    }
    expect([...seen].sort(), `${key} reaches every control of the dialog and only those`).toEqual([...controls].sort());
  }

  // Escape from inside a field closes the dialog, and focus goes back to the button that opened it.
  await dialog.getByLabel("Reason").focus();
  // The dialog's close event (which tells the console it is closed) is queued after Escape; input
  // can overtake it, so the reopening below waits for it.
  await dialog.evaluate((d) => {
    (globalThis as unknown as { closeHandled: Promise<void> }).closeHandled = new Promise((resolve) =>
      d.addEventListener("close", () => setTimeout(resolve), { once: true }),
    );
  });
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(button).toBeFocused();
  await page.evaluate(() => (globalThis as unknown as { closeHandled: Promise<void> }).closeHandled);
  // The console knows it is closed: the same button opens it again, from the keyboard.
  await page.keyboard.press("Space");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("preview-summary")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(button).toBeFocused();
});
