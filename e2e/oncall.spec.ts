/**
 * The on-call's experience of the action dialog and the banner (issue 18, points 1 to 4): a
 * refused submit keeps what was typed and a form the browser refuses is no attempt; after the
 * password prompt the dialog stays and shows the result; an action taken while an incident is open
 * for its check carries the incident's reference (the audit and the incident page agree); halt
 * trading is set apart before L3, prominent at L3, and confirmed with the words HALT TRADING.
 */
import type { Page } from "@playwright/test";
import { e2eEnv } from "../playwright.config";
import { emailOf, expect, Panel, test } from "./fixtures";
import { auditHead, userByEmail } from "./support/console-db";
import { injectedScenarios } from "./support/injected-scenarios";
import { mintSessionCookie, nowSeconds } from "./support/session";

const world = injectedScenarios();
const { inject } = world;

/** The open incident's banner and its reference, once the evaluator has opened it. */
async function bannerFor(page: Page, title: string) {
  const banner = page.getByTestId("incident-banner").filter({ hasText: title });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  const link = banner.getByRole("link", { name: /^INC-\d+$/ });
  const ref = (await link.textContent())!.trim();
  const id = Number(ref.replace("INC-", ""));
  return { banner, ref, id };
}

type Entry = {
  seq: number;
  action: string;
  phase: string;
  outcome: string;
  incident_ref: string | null;
  reason: string | null;
  detail: { guard?: string } | null;
};

const entriesSince = (head: number, action: string) =>
  world.sql<
    Entry[]
  >`select seq::int as seq, action, phase, outcome, incident_ref, reason, detail from console.audit_log where seq > ${head} and action = ${action} order by seq`;

test("a refused submit keeps what was typed, the browser's refusals are no attempts, and after the password the dialog shows the result under the open incident's reference", async ({
  browser,
}) => {
  // Signed in 20 minutes ago: a destructive action asks for the password again (sudo mode).
  const user = (await userByEmail(world.sql, emailOf("oncall")))!;
  const now = nowSeconds();
  const context = await browser.newContext();
  await context.addCookies([
    {
      ...(await mintSessionCookie({ sub: user.id, email: user.email, role: "oncall", sv: user.session_version, startedAt: now - 20 * 60, lastSeen: now - 60 })),
      expires: now + 3600,
    },
  ]);
  const page = await context.newPage();
  await inject("pool-exhaustion");
  await page.goto("/");
  const idle = new Panel(page, "idle_transactions");
  await idle.expectStatus("critical", 30_000);
  const { ref, id } = await bannerFor(page, "Database Connection Pool Exhaustion");

  await idle.root.getByRole("button", { name: "Kill idle transactions", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Kill idle transactions" });
  await expect(dialog.getByTestId("preview-summary")).toBeVisible();
  // Point 3: the open incident for this check is prefilled, and can be changed.
  const refField = dialog.getByLabel("Incident or ticket (optional)");
  await expect(refField).toHaveValue(ref);
  await refField.fill("TICKET-1");
  await refField.fill(ref);

  const reason = dialog.getByLabel("Reason");
  const confirmField = dialog.getByLabel(/^Type \d+ to confirm$/);
  const label = (await dialog.locator(`label[for="${await confirmField.getAttribute("id")}"]`).textContent()) ?? "";
  const count = label.match(/Type (\d+)/)![1]!;
  const head = await auditHead(world.sql);
  const confirm = dialog.getByRole("button", { name: "Confirm: Kill idle transactions" });

  // Point 1: a reason too short is refused in the browser, in place, and nothing is sent.
  await reason.fill("short");
  await confirmField.fill(count);
  await confirm.click();
  await expect(dialog.getByText("Give a reason of at least 10 characters")).toBeVisible();
  await expect(reason).toBeFocused();
  await expect(reason).toHaveValue("short");
  await expect(confirmField).toHaveValue(count);

  // A wrong typed confirmation: refused in place, the reason and the reference kept.
  const why = "E2E: idle sessions hold the pool, runbook scenario 3";
  await reason.fill(why);
  await confirmField.fill("999");
  await confirm.click();
  await expect(dialog.getByText(`Type ${count} to confirm.`)).toBeVisible();
  await expect(confirmField).toBeFocused();
  await expect(reason).toHaveValue(why);
  await expect(refField).toHaveValue(ref);
  // The browser's refusals were not attempts: nothing reached the audit log.
  expect(await entriesSince(head, "sessions.terminate_idle")).toEqual([]);

  // The right count: the server asks for the password again (sudo mode), and the form keeps its values.
  await confirmField.fill(count);
  await confirm.click();
  const reauth = page.getByRole("dialog", { name: "Confirm it's you" });
  await expect(reauth).toBeVisible();
  await expect(reason).toHaveValue(why);
  await expect(confirmField).toHaveValue(count);
  await reauth.getByLabel("Password").fill(e2eEnv.password);
  await reauth.getByRole("button", { name: "Confirm" }).click();
  await expect(reauth).toBeHidden();

  // Point 2: the action dialog stays and shows the result of the one run, and focus moves to it.
  await expect(dialog).toBeVisible();
  const result = dialog.getByTestId("action-result");
  // The run terminates sessions and re-reads the panel: give a loaded machine time.
  await expect(result).toHaveAttribute("data-outcome", /succeeded|partial/, { timeout: 30_000 });
  await expect(result).toContainText(/terminated/i);
  await expect(dialog.getByTestId("action-result-region")).toBeFocused();

  // One refusal (sudo mode) and one run, both under the incident's reference, with the reason typed once.
  const entries = await entriesSince(head, "sessions.terminate_idle");
  expect(entries.filter((e) => e.outcome === "refused").map((e) => e.detail?.guard ?? e.phase)).toHaveLength(1);
  const outcomes = entries.filter((e) => e.phase === "outcome");
  expect(outcomes).toHaveLength(1);
  expect(outcomes[0]).toMatchObject({ outcome: expect.stringMatching(/succeeded|partial/), incident_ref: ref, reason: why });
  expect(entries.filter((e) => e.phase === "intent").map((e) => e.incident_ref)).toEqual([ref]);
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();

  // The incident page lists the run from its reference; the audit's incident column says the same.
  await page.goto(`/incidents/${id}`);
  const timeline = page.getByTestId("timeline");
  // Only what carries the reference: the run's outcome (the sudo refusal was not recorded against the incident).
  await expect(timeline.locator('li[data-kind="action"]').filter({ hasText: "sessions.terminate_idle" })).toHaveCount(
    entries.filter((e) => e.phase !== "intent" && e.incident_ref === ref).length,
  );
  await expect(timeline.locator('li[data-kind="action"]').filter({ hasText: `(audit #${outcomes[0]!.seq})` })).toBeVisible();
  await page.goto(`/audit?incident=${ref}&action=sessions.terminate_idle`);
  await expect(page.getByRole("row").filter({ hasText: why }).first()).toContainText(ref);
  await context.close();
});

test("halt trading is set apart before level 3, prominent at level 3, and confirmed by typing HALT TRADING", async ({ page, login }) => {
  await login.signInAs("oncall");
  await inject("signal-generator-crash");
  await new Panel(page, "signals_recent").expectStatus("critical");
  const { banner, ref, id } = await bannerFor(page, "Signal Generator Crash");
  await expect(banner).toHaveAttribute("data-level", "1");

  // Before L3: not beside Acknowledge; behind "More actions", small.
  const halt = banner.getByTestId("halt-trading");
  await expect(banner.getByRole("button", { name: /^Acknowledge/ })).toBeVisible();
  await expect(halt).toBeHidden();
  await banner.getByText("More actions").click();
  await expect(halt).toBeVisible();
  await expect(halt).toHaveAttribute("data-prominent", "false");

  // L3 (the incident started 31 minutes ago): the runbook asks for it, and it stands out.
  const moved = await world.sql`update console.incidents set started_at = started_at - interval '31 minutes' where id = ${id} and status = 'open'`;
  expect(moved.count).toBe(1);
  await expect(banner).toHaveAttribute("data-level", "3", { timeout: 15_000 });
  await expect(banner.getByTestId("more-actions")).toHaveCount(0);
  await expect(halt).toBeVisible();
  await expect(halt).toHaveAttribute("data-prominent", "true");
  const box = await halt.boundingBox();
  expect(box!.height, "a prominent button, not a small one").toBeGreaterThanOrEqual(36);

  await halt.click();
  const dialog = page.getByRole("dialog", { name: "Halt trading" });
  await expect(dialog.getByTestId("preview-summary")).toContainText("level 3");
  await expect(dialog.getByLabel("Incident or ticket (optional)")).toHaveValue(ref);
  const head = await auditHead(world.sql);
  await dialog.getByLabel("Reason").fill("E2E: level 3 reached, the runbook halts trading");
  const words = dialog.getByLabel("Type HALT TRADING to confirm");
  // The count of targets (one) is not the confirmation.
  await words.fill("1");
  await dialog.getByRole("button", { name: "Confirm: Halt trading" }).click();
  await expect(dialog.getByText("Type HALT TRADING to confirm.")).toBeVisible();
  expect(await entriesSince(head, "trading.halt")).toEqual([]);

  await words.fill("HALT TRADING");
  await dialog.getByRole("button", { name: "Confirm: Halt trading" }).click();
  const result = dialog.getByTestId("action-result");
  await expect(result).toHaveAttribute("data-outcome", "succeeded", { timeout: 30_000 });
  await expect(result).toContainText("Trading halted");
  const entries = await entriesSince(head, "trading.halt");
  expect(entries.filter((e) => e.phase === "outcome")).toMatchObject([{ outcome: "succeeded", incident_ref: ref }]);
  await dialog.getByRole("button", { name: "Close" }).click();
});
