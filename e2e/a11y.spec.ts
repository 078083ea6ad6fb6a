/**
 * Accessibility (issue 18, point 13): axe-core's WCAG 2.2 AA rules find no serious or critical
 * violation on any page of the console, in light and in dark mode, with an incident open (the
 * banner, a critical panel with its runbook steps and commands, an incident page with a timeline).
 * The phone-width and dark-mode screenshots of an incident in docs/screenshots/ are made here
 * (with UPDATE_SCREENSHOTS=1; otherwise into test-results/, so a test run leaves the tree as it was).
 */
import fs from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, Panel, test } from "./fixtures";
import { auditHead } from "./support/console-db";
import { injectedScenarios } from "./support/injected-scenarios";

const world = injectedScenarios();
const { inject } = world;

const WCAG22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/** Serious and critical violations on the page as it is now, one line each, with where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG22_AA).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.help}\n    ${v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(" ")} ${n.failureSummary?.split("\n")[1]?.trim() ?? ""}`)
          .join("\n    ")}`,
    );
}

test("axe finds no serious violation on any page, in light and dark mode", async ({ page, login, browser }) => {
  test.setTimeout(180_000);
  await inject("signal-generator-crash");

  // Signed out: the sign-in page.
  const signedOutContext = await browser.newContext();
  const signedOut = await signedOutContext.newPage();
  const found: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await signedOut.emulateMedia({ colorScheme: scheme });
    await signedOut.goto("/login");
    await expect(signedOut.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
    for (const v of await seriousViolations(signedOut)) found.push(`[${scheme}] /login: ${v}`);
  }
  await signedOutContext.close();

  await login.signInAs("admin");
  await new Panel(page, "signals_recent").expectStatus("critical");
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  const href = (await banner.getByRole("link", { name: /^INC-\d+$/ }).getAttribute("href"))!;
  const seq = await auditHead(world.sql);

  const pages: Array<{ path: string; ready: (p: Page) => Promise<void> }> = [
    { path: "/", ready: async (p) => expect(p.getByTestId("panel-signals_recent").getByTestId("panel-runbook")).toBeVisible() },
    { path: "/incidents", ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
    { path: href, ready: async (p) => expect(p.getByTestId("timeline")).toBeVisible() },
    { path: `${href}/report`, ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
    { path: "/audit", ready: async (p) => expect(p.getByRole("table").first()).toBeVisible() },
    { path: `/audit/${seq}`, ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
    { path: "/runbook", ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
    { path: "/status", ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
    { path: "/admin/users", ready: async (p) => expect(p.getByRole("table").first()).toBeVisible() },
    { path: "/reference", ready: async (p) => expect(p.getByRole("heading", { level: 1 })).toBeVisible() },
  ];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const { path: url, ready } of pages) {
      await page.goto(url);
      await ready(page);
      for (const v of await seriousViolations(page)) found.push(`[${scheme}] ${url}: ${v}`);
    }
  }
  expect(found, found.join("\n")).toEqual([]);
});

test("screenshots of an incident: at phone width, and in dark mode (docs/screenshots/)", async ({ page, login }) => {
  await login.signInAs("oncall");
  await inject("signal-generator-crash");
  await new Panel(page, "signals_recent").expectStatus("critical");
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  const href = (await banner.getByRole("link", { name: /^INC-\d+$/ }).getAttribute("href"))!;
  // A test run must not change tracked files: the pictures go to test-results/ unless asked for
  // (UPDATE_SCREENSHOTS=1 npm test -- --only e2e e2e/a11y.spec.ts refreshes docs/screenshots/).
  const dir = path.resolve(process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : "test-results/screenshots");
  fs.mkdirSync(dir, { recursive: true });

  // A phone (390 × 844, iPhone 12-14 class): the dashboard with the critical panel first, and the incident page.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await expect(page.getByTestId("panel-signals_recent").getByTestId("panel-runbook")).toBeVisible();
  await page.screenshot({ path: path.join(dir, "incident-dashboard-phone.png"), fullPage: true });
  await page.goto(href);
  await expect(page.getByTestId("timeline")).toBeVisible();
  await page.screenshot({ path: path.join(dir, "incident-page-phone.png"), fullPage: true });

  // Dark mode, desktop width.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/");
  await expect(page.getByTestId("panel-signals_recent").getByTestId("panel-runbook")).toBeVisible();
  await page.screenshot({ path: path.join(dir, "incident-dashboard-dark.png"), fullPage: true });
  await page.goto(href);
  await expect(page.getByTestId("timeline")).toBeVisible();
  await page.screenshot({ path: path.join(dir, "incident-page-dark.png"), fullPage: true });
  for (const f of ["incident-dashboard-phone.png", "incident-page-phone.png", "incident-dashboard-dark.png", "incident-page-dark.png"]) {
    expect(fs.statSync(path.join(dir, f)).size).toBeGreaterThan(10_000);
  }
});
