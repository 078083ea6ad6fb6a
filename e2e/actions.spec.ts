import { expect, Panel, sim, test, type LoginPage } from "./fixtures";
import type { Page } from "@playwright/test";
import { callServerAction, serverActionId } from "./server-actions";

test.afterEach(async () => {
  await sim.heal();
});

/** Open an action from its panel, give a reason, type the count if asked, and confirm. */
async function runAction(page: Page, panel: Panel, title: string) {
  await panel.root.getByRole("button", { name: title, exact: true }).click();
  const dialog = page.getByRole("dialog", { name: title });
  await expect(dialog.getByTestId("preview-summary")).toBeVisible();
  await dialog.getByLabel("Reason").fill("E2E: on-call following the runbook for this symptom");
  const confirmField = dialog.getByLabel(/^Type \d+ to confirm$/);
  if (await confirmField.count()) {
    const label = (await dialog.locator(`label[for="${await confirmField.getAttribute("id")}"]`).textContent()) ?? "";
    await confirmField.fill(label.match(/Type (\d+)/)![1]!);
  }
  await dialog.getByRole("button", { name: `Confirm: ${title}` }).click();
  const result = dialog.getByTestId("action-result");
  await expect(result).toHaveAttribute("data-outcome", /succeeded|partial/);
  return { dialog, result };
}

async function asOncall(login: LoginPage) {
  await login.signInAs("oncall");
}

test("Reset circuit: the trade director's open circuit is closed from the panel", async ({ page, login }) => {
  await asOncall(login);
  await sim.inject("trade-director-stuck");
  const circuit = new Panel(page, "circuit_breaker");
  await circuit.expectStatus("critical");
  const { dialog, result } = await runAction(page, circuit, "Reset circuit");
  await expect(result).toContainText(/Circuit reset/);
  await dialog.getByRole("button", { name: "Close" }).click();
  await circuit.expectStatus("ok");
});

test("Cancel stale directives: the backlog is cancelled and the panel turns green", async ({ page, login }) => {
  await asOncall(login);
  // The director is stuck, so new directives stay pending and go stale.
  await sim.inject("trade-director-stuck");
  const directives = new Panel(page, "directives_stale_pending");
  await directives.expectStatus("critical");
  // Stop new signals (so no new directives), and wait until the last one is stale too.
  await sim.inject("signal-generator-crash");
  await expect.poll(async () => Date.now() - Date.parse((await sim.state()).lastSignalAt ?? "0"), { timeout: 20_000 }).toBeGreaterThan(8_000);
  const { dialog, result } = await runAction(page, directives, "Cancel stale directives");
  await expect(result).toContainText(/cancelled/);
  await expect(dialog.getByTestId("result-table")).toContainText("Cancelled");
  await dialog.getByRole("button", { name: "Close" }).click();
  await directives.expectStatus("ok");
});

test("Kill idle transactions: sessions left idle in transaction are terminated", async ({ page, login }) => {
  await asOncall(login);
  await sim.inject("pool-exhaustion");
  const idle = new Panel(page, "idle_transactions");
  await expect(idle.root).toHaveAttribute("data-status", /warn|critical/, { timeout: 20_000 });
  const { dialog, result } = await runAction(page, idle, "Kill idle transactions");
  await expect(result).toContainText(/terminated/);
  await dialog.getByRole("button", { name: "Close" }).click();
  await idle.expectStatus("ok");
});

test("a viewer sees no action controls", async ({ page, login }) => {
  await login.signInAs("viewer");
  await page.goto("/");
  await expect(page.getByTestId("panel-circuit_breaker")).toBeVisible();
  for (const name of ["Reset circuit", "Cancel stale directives", "Kill idle transactions"]) {
    await expect(page.getByRole("button", { name })).toHaveCount(0);
  }
});

test("a viewer replaying an action request by hand is refused, and nothing changes", async ({ page, login }) => {
  await sim.inject("trade-director-stuck");
  await login.signInAs("oncall");
  const directives = new Panel(page, "directives_stale_pending");
  await directives.expectStatus("critical");
  const before = await directives.root.getByTestId("value").textContent();
  await page.getByRole("button", { name: "Sign out" }).click();

  await login.signInAs("viewer");
  const id = serverActionId("app/actions/recovery.ts", "cancelStaleDirectivesAction");
  const input = { previewToken: "forged.token", reason: "replaying a captured request", confirmation: "1", idempotencyKey: crypto.randomUUID() };
  const res = await callServerAction(page.request, id, [input]);
  expect(res.text).toContain("auth.forbidden");
  expect(res.text).not.toContain("outcome.");
  const preview = await callServerAction(page.request, serverActionId("app/actions/recovery.ts", "previewCancelStaleDirectivesAction"), [{}]);
  expect(preview.text).toContain("auth.forbidden");
  // Nothing was cancelled: the backlog only grew or stayed.
  await login.signInAs("oncall");
  await directives.expectStatus("critical");
  expect(Number((await directives.root.getByTestId("value").textContent())?.match(/\d+/)?.[0])).toBeGreaterThanOrEqual(Number(before?.match(/\d+/)?.[0]));
});
