import type { Page } from "@playwright/test";
import { verifyExportLines } from "../lib/recovery/audit/export-format";
import { emailOf, expect, LoginPage, test } from "./fixtures";

/** The audit view (/audit), as an auditor meets it. */
class AuditPage {
  constructor(private readonly page: Page) {}

  get rows() {
    return this.page.getByTestId("audit-row");
  }

  async open() {
    await this.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await expect(this.page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  }

  async filter(values: { actor?: string; action?: string }) {
    const form = this.page.getByRole("form", { name: "Filter the audit trail" });
    if (values.actor !== undefined) await form.getByLabel("Actor").fill(values.actor);
    if (values.action !== undefined) await form.getByLabel("Action").fill(values.action);
    await form.getByRole("button", { name: "Filter" }).click();
    // The filters land in the URL once the filtered page has rendered.
    await expect(this.page).toHaveURL((url) => Object.entries(values).every(([k, v]) => url.searchParams.get(k) === v));
  }
}

test("an auditor finds an action by its actor and opens its detail", async ({ page, login, browser }) => {
  // On-call signs in elsewhere: an auth.login entry by oncall@demo.local.
  const other = await browser.newContext();
  await new LoginPage(await other.newPage()).signInAs("oncall");
  await other.close();

  await login.signInAs("auditor");
  const audit = new AuditPage(page);
  await audit.open();
  await audit.filter({ actor: emailOf("oncall"), action: "auth.login" });

  // The filters live in the URL, so the view is a link one can share.
  await expect(page).toHaveURL(/[?&]actor=oncall%40demo\.local/);
  await expect(page).toHaveURL(/[?&]action=auth\.login/);
  await expect(audit.rows.first()).toBeVisible();
  for (const actor of await audit.rows.getByTestId("actor").allTextContents()) expect(actor).toContain(emailOf("oncall"));
  for (const action of await audit.rows.getByTestId("action").allTextContents()) expect(action).toContain("auth.login");
  // Times in the viewer's zone, UTC on hover.
  await expect(audit.rows.first().locator("time")).toHaveAttribute("title", /UTC$/);

  const shared = page.url();
  await page.reload();
  await expect(page.getByRole("form", { name: "Filter the audit trail" }).getByLabel("Actor")).toHaveValue(emailOf("oncall"));

  const seq = await audit.rows.first().getAttribute("data-seq");
  await audit.rows
    .first()
    .getByRole("link", { name: `#${seq}` })
    .click();
  await expect(page).toHaveURL(new RegExp(`/audit/${seq}\\?`));
  await expect(page.getByRole("heading", { name: new RegExp(`Audit entry #${seq}`) })).toContainText("auth.login");
  const summary = page.getByTestId("entry-summary");
  await expect(summary.getByTestId("field-actor")).toHaveText(`${emailOf("oncall")} (oncall)`);
  await expect(summary.getByTestId("outcome")).toHaveText("succeeded");
  await expect(page.getByTestId("entry-request").getByTestId("field-path")).toHaveText("/login");
  await expect(page.getByTestId("entry-request").getByTestId("field-user-agent")).not.toBeEmpty();
  const integrity = page.getByTestId("entry-integrity");
  await expect(integrity.getByTestId("entry-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await expect(integrity.getByTestId("field-own-hash")).toContainText("matches the entry's content");
  await expect(integrity.getByTestId("field-link")).toContainText(`links to #${Number(seq) - 1}`);

  // Back to the same filtered list.
  await page.getByRole("link", { name: "‹ Audit trail" }).click();
  await expect(page).toHaveURL(shared);
});

test("an auditor verifies the chain and exports a filtered trail that verifies offline; both are audited", async ({ page, login }) => {
  await login.signInAs("auditor");
  const audit = new AuditPage(page);
  await audit.open();

  await page.getByRole("button", { name: "Verify now" }).click();
  await expect(page.getByTestId("verify-result")).toContainText("The chain holds");
  await expect(page.getByTestId("verify-panel")).toHaveAttribute("data-status", "ok");
  await expect(page.getByTestId("verify-last")).toContainText(`by ${emailOf("auditor")} (ui)`);

  await audit.filter({ action: "auth.*" });
  const exportLink = page.getByRole("link", { name: "Export NDJSON (verifiable)" });
  await expect(exportLink).toHaveAttribute("href", /^\/api\/audit\/export\?action=auth\.(\*|%2A)&format=ndjson$/);
  const href = await exportLink.getAttribute("href");
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  const lines = (await res.text()).trimEnd().split("\n");
  expect(JSON.parse(lines[0]!)).toMatchObject({ complete: false, filters: { action: "auth.*" }, exportedBy: emailOf("auditor") });
  expect(await verifyExportLines(lines, { mode: "subset" })).toMatchObject({ ok: true, mode: "subset" });
  const entries = lines.slice(1, -1).map((l) => JSON.parse(l) as { action: string });
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.every((e) => e.action.startsWith("auth."))).toBe(true);

  const csv = await page.request.get(href!.replace("format=ndjson", "format=csv"));
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect((await csv.text()).split("\n")[0]).toBe(
    "seq,id,at,actor_id,actor_email,actor_role,action,phase,intent_seq,outcome,reason,incident_ref,params,detail,request,prev_hash,hash",
  );

  // The exports and the verification are in the trail themselves.
  await audit.filter({ action: "audit.*" });
  await expect(audit.rows.filter({ hasText: "audit.export" }).first()).toBeVisible();
  await expect(audit.rows.filter({ hasText: "audit.verify" }).first()).toBeVisible();
  await expect(audit.rows.filter({ hasText: "audit.export" }).filter({ hasText: "intent" }).first().getByTestId("outcome-unknown")).toHaveCount(0);
});

test("on-call may review but not verify or export; a viewer may not open the audit trail", async ({ page, login, browser }) => {
  await login.signInAs("oncall");
  const audit = new AuditPage(page);
  await audit.open();
  await expect(page.getByTestId("verify-panel")).toBeVisible();
  await expect(page.getByRole("button", { name: "Verify now" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: /^Export/ })).toHaveCount(0);
  expect((await page.request.get("/api/audit/export?format=csv")).status()).toBe(403);

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await new LoginPage(viewer).signInAs("viewer");
  await expect(viewer.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" })).toHaveCount(0);
  await viewer.goto("/audit");
  await expect(viewer.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  expect((await viewer.request.get("/api/audit/export?format=ndjson")).status()).toBe(403);
  await viewerContext.close();
});
