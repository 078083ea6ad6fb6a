import { expect, Panel, sim, test } from "./fixtures";

test.afterEach(async () => {
  await sim.heal();
});

test("automation: the circuit panel says when automation will reset it, on-call can pause it (audited), and after resume it resets the circuit, on the incident's timeline", async ({
  page,
  login,
}) => {
  test.setTimeout(150_000);
  await login.signInAs("oncall");
  await sim.inject("trade-director-stuck");
  await page.goto("/");
  const circuit = new Panel(page, "circuit_breaker");
  await circuit.expectStatus("critical");
  // The incident (it resolves soon after the reset, and its banner with it).
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Trade Director Not Processing Directives" });
  const incidentUrl = await banner.getByRole("link", { name: /^INC-\d+$/ }).getAttribute("href", { timeout: 20_000 });
  expect(incidentUrl).toMatch(/^\/incidents\/\d+$/);
  const automation = circuit.root.getByTestId("automation-reset-circuit-when-open");
  const plan = automation.getByTestId("automation-plan");
  // What will happen and when, counting down.
  await expect(plan).toHaveText(/Automation will reset the circuit in \d+ s/, { timeout: 20_000 });
  // The incident banner says it too.
  await expect(banner.getByTestId("incident-automation")).toContainText(/Automation will reset the circuit in \d+ s/);

  // Pause: it says so, and nothing runs.
  await automation.getByRole("button", { name: "Pause automation" }).click();
  await expect(plan).toContainText("Automation is paused by oncall@demo.local", { timeout: 10_000 });
  await expect(automation).toHaveAttribute("data-kind", "paused");

  // The pause is in the audit log.
  const audit = await page.context().newPage();
  await audit.goto("/audit?action=automation.pause");
  await expect(audit.getByTestId("audit-row").first()).toContainText("oncall@demo.local");
  await audit.close();

  // Resume: once the circuit has been open 45 s, automation resets it.
  await automation.getByRole("button", { name: "Resume automation" }).click();
  await expect(plan).not.toContainText("paused", { timeout: 10_000 });
  await circuit.expectStatus("ok", 70_000);
  await expect(automation.getByTestId("automation-runs")).toContainText("Automation (reset-circuit-when-open) reset the circuit, run 1 of 2: succeeded", {
    timeout: 10_000,
  });

  // On the incident's timeline: the automated run and its audit entries, by "automation".
  await page.goto(incidentUrl!);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("Automation: Automation (reset-circuit-when-open) reset the circuit");
  await expect(timeline).toContainText("circuit.reset → succeeded by automation");
});
