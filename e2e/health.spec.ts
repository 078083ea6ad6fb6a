/**
 * The live health panels against the demo world (issue 3). The e2e server runs with compressed
 * thresholds (playwright.config.ts): HEALTH_REFRESH_SECONDS=1, SIGNAL_SILENCE_SECONDS=4,
 * STALE_DIRECTIVE_SECONDS=5, IDLE_TX_SECONDS=3, EA_HEARTBEAT_STALE_SECONDS=10,
 * WORKER_PROBE_INTERVAL_SECONDS=1.
 *
 * "Within two refresh intervals" is measured from the moment the symptom crosses its threshold:
 * each wait is the scenario's own ageing (a silence has to last SIGNAL_SILENCE_SECONDS before it
 * is a symptom) + 2 refresh intervals + the browser's own poll and render (CLIENT_S).
 */
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { e2eEnv } from "../playwright.config";
import { expect, LoginPage, Panel, sim, test } from "./fixtures";

const REFRESH_S = 1;
const CLIENT_S = 3;
/** The longest an e2e live stream lasts before the browser reconnects (LIVE_STREAM_SECONDS 5, plus half). */
const LIVE_STREAM_MAX_MS = 7500;
const within = (ageingSeconds: number) => (ageingSeconds + 2 * REFRESH_S + CLIENT_S) * 1000;

const CHECK_IDS = [
  "signals_recent",
  "directives_stale_pending",
  "circuit_breaker",
  "executions_failed",
  "db_connections",
  "idle_transactions",
  "worker_rate_limit",
  "ea_heartbeat",
];

test.afterEach(async () => {
  await sim.heal();
});

async function openDashboard(page: Page, login: { signInAs(p: "oncall" | "viewer"): Promise<void> }) {
  await login.signInAs("oncall");
  await expect(page.getByTestId("health-summary")).toBeVisible();
}

test.describe("each runbook scenario turns its panel critical, and healing turns it green", () => {
  test("1. signal generator crash → signals_recent", async ({ page, login }) => {
    await openDashboard(page, login);
    const panel = new Panel(page, "signals_recent");
    await panel.expectStatus("ok");
    await sim.inject("signal-generator-crash");
    // The newest signal may be 2.5 s old already; the silence must last SIGNAL_SILENCE_SECONDS (4).
    await panel.expectStatus("critical", within(4));
    await expect(panel.root.getByTestId("since")).toHaveText(/^Critical since \d\d:\d\d \S+ \(\d+ s\)$/);
    await expect(page.getByTestId("health-summary")).toContainText("Recent signals");
    await expect(page).toHaveTitle(/^\(\d+ critical\) Recovery Console$/);
    await sim.heal();
    await panel.expectStatus("ok", within(2.5));
  });

  test("2. trade director stuck → circuit_breaker at once, directives_stale_pending once they are stale", async ({ page, login }) => {
    await openDashboard(page, login);
    const circuit = new Panel(page, "circuit_breaker");
    const stale = new Panel(page, "directives_stale_pending");
    await circuit.expectStatus("ok");
    await stale.expectStatus("ok");
    await sim.inject("trade-director-stuck");
    await circuit.expectStatus("critical", within(0));
    await expect(circuit.root.getByTestId("value")).toHaveText("open");
    // A new signal (≤ 2.5 s) becomes a pending directive (≤ 1 s tick) that must age STALE_DIRECTIVE_SECONDS (5).
    await stale.expectStatus("critical", within(2.5 + 1 + 5));
    await stale.root.getByTestId("details").locator("summary").click();
    await expect(stale.root.getByTestId("stale-directives").locator("tbody tr").first()).toBeVisible();
    await sim.heal();
    await circuit.expectStatus("ok", within(0));
    await stale.expectStatus("ok", within(1));
  });

  test("3. pool exhaustion → idle_transactions, with the sessions listed (their SQL, users and addresses for on-call only)", async ({
    page,
    login,
    browser,
  }) => {
    await openDashboard(page, login);
    const panel = new Panel(page, "idle_transactions");
    await panel.expectStatus("ok");
    await sim.inject("pool-exhaustion");
    // Eight sessions left idle in transaction must stay so for IDLE_TX_SECONDS (3).
    await panel.expectStatus("critical", within(3));
    await expect(panel.root.getByTestId("value")).toHaveText(/^8\s*sessions$/);
    await panel.root.getByTestId("details").locator("summary").click();
    const sessions = panel.root.getByTestId("idle-sessions");
    await expect(sessions.locator("tbody tr")).toHaveCount(8);
    await expect(sessions).toContainText("distortsignals-api");
    expect(await sessions.locator("thead th").allTextContents()).toEqual(expect.arrayContaining(["user", "client", "query"]));

    // A viewer (no health.details) sees the same sessions without those columns, and why.
    const viewerContext = await browser.newContext();
    const viewer = await viewerContext.newPage();
    await new LoginPage(viewer).signInAs("viewer");
    await viewer.goto("/");
    const seen = new Panel(viewer, "idle_transactions");
    await seen.expectStatus("critical");
    await seen.root.getByTestId("details").locator("summary").click();
    await expect(seen.root.getByTestId("idle-sessions").locator("tbody tr")).toHaveCount(8);
    await expect(seen.root.getByTestId("details-hidden")).toContainText("health.details");
    const headers = await seen.root.getByTestId("idle-sessions").locator("thead th").allTextContents();
    for (const h of ["user", "client", "query"]) expect(headers).not.toContain(h);
    await viewerContext.close();
    await sim.heal();
    await panel.expectStatus("ok", within(1));
  });

  test("4. worker rate limit → worker_rate_limit, and green once Retry-After allows a new probe", async ({ page, login }) => {
    // The sim answers Retry-After: 30, and the console honours it before probing again.
    test.setTimeout(90_000);
    await openDashboard(page, login);
    const panel = new Panel(page, "worker_rate_limit");
    await panel.expectStatus("ok");
    await sim.inject("worker-rate-limit");
    await panel.expectStatus("critical", within(1));
    await expect(panel.root.getByTestId("summary")).toContainText("tick-factory rate limited (429, Retry-After 30 s)");
    await sim.heal();
    await panel.expectStatus("ok", within(30 + 1));
  });

  test("5. EA disconnected → ea_heartbeat", async ({ page, login }) => {
    await openDashboard(page, login);
    const panel = new Panel(page, "ea_heartbeat");
    await panel.expectStatus("ok");
    await sim.inject("ea-disconnected");
    // The last heartbeat may be 5 s old already; it must age EA_HEARTBEAT_STALE_SECONDS (10).
    await panel.expectStatus("critical", within(10));
    await expect(panel.root.getByTestId("summary")).toContainText("No EA heartbeat for");
    await sim.heal();
    await panel.expectStatus("ok", within(5));
  });
});

test("every check is live, with status as colour, icon and word, a threshold and a sparkline", async ({ page, login }) => {
  const hydrationErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /hydrat/i.test(m.text())) hydrationErrors.push(m.text());
  });
  await openDashboard(page, login);
  for (const id of CHECK_IDS) {
    const panel = new Panel(page, id);
    await expect(panel.root).toBeVisible();
    await expect(panel.root).not.toHaveAttribute("data-status", "unknown", { timeout: within(5) });
    await expect(panel.root.getByTestId("status")).toHaveText(/^[✓!✕?](OK|Warning|Critical|Unknown)$/);
    await expect(panel.root.getByTestId("updated")).toHaveText(/updated \d+ s ago/);
    await expect(panel.root.getByText(/^Threshold: /)).toBeVisible();
  }
  // uPlot is loaded on the client after the first paint.
  await expect(new Panel(page, "signals_recent").root.getByTestId("sparkline").locator("canvas")).toBeVisible();
  // The server-rendered first paint hydrates without mismatches (clocks and time zones differ).
  expect(hydrationErrors).toEqual([]);
});

test("updates are pushed over the live stream, and the dashboard does not poll /api/health while it delivers", async ({ page, login }) => {
  const requests: string[] = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  await openDashboard(page, login);
  const panel = new Panel(page, "signals_recent");
  const updated = () => panel.root.getByTestId("updated").textContent();
  await expect.poll(() => requests.filter((p) => p === "/api/live").length, { timeout: within(0) }).toBeGreaterThan(0);
  // Fresh data keeps arriving (the panel's age stays under two intervals), with no poll on the wire.
  const polledBefore = requests.filter((p) => p === "/api/health" || p === "/api/incidents/current").length;
  for (let i = 0; i < 4; i++) {
    await expect.poll(updated, { timeout: within(0) }).toMatch(/updated [0-2] s ago/);
    await page.waitForTimeout(REFRESH_S * 1000);
  }
  expect(requests.filter((p) => p === "/api/health" || p === "/api/incidents/current").length).toBe(polledBefore);
});

test("the live stream and polling pause in a hidden tab and resume as soon as the tab is shown again", async ({ page, login }) => {
  let requests = 0;
  page.on("request", (r) => {
    if (["/api/health", "/api/live", "/api/incidents/current"].includes(new URL(r.url()).pathname)) requests++;
  });
  await openDashboard(page, login);
  await expect.poll(() => requests, { timeout: within(0) }).toBeGreaterThan(0);
  const setVisibility = (state: "hidden" | "visible") =>
    page.evaluate((s) => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => s });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => s === "hidden" });
      document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
    }, state);
  await setVisibility("hidden");
  // The stream is closed when hidden, so the network goes idle; then prove the silence over three refresh intervals.
  await page.waitForLoadState("networkidle");
  const whileHidden = requests;
  const updatedWhileHidden = await new Panel(page, "signals_recent").root.getByTestId("updated").textContent();
  await page.waitForTimeout(3 * REFRESH_S * 1000);
  expect(requests).toBe(whileHidden);
  // No data arrived either: the panel's age grew.
  await expect(new Panel(page, "signals_recent").root.getByTestId("updated")).not.toHaveText(updatedWhileHidden ?? "");
  await setVisibility("visible");
  await expect.poll(() => requests, { timeout: within(0) }).toBeGreaterThan(whileHidden);
  await expect(new Panel(page, "signals_recent").root.getByTestId("updated")).toHaveText(/updated [0-2] s ago/, { timeout: within(0) });
});

test("dark mode follows the system", async ({ page, login }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await openDashboard(page, login);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const panel = await new Panel(page, "signals_recent").root.evaluate((el) => getComputedStyle(el).backgroundColor);
  const lightness = (css: string) => {
    const oklch = /oklch\(([\d.]+)/.exec(css);
    if (oklch) return Number(oklch[1]);
    const [r, g, b] = (css.match(/[\d.]+/g) ?? []).map(Number);
    return ((r ?? 0) + (g ?? 0) + (b ?? 0)) / (3 * 255);
  };
  expect(lightness(background)).toBeLessThan(0.3);
  expect(lightness(panel)).toBeLessThan(0.35);
});

test("the first paint is server-rendered with the current snapshot", async ({ page, login }) => {
  await openDashboard(page, login);
  const html = await (await page.request.get("/")).text();
  for (const id of CHECK_IDS) expect(html).toContain(`data-testid="panel-${id}"`);
  expect(html).toMatch(/data-testid="panel-signals_recent" data-status="(ok|critical)"/);
});

test("a panel turns visibly stale when refreshes fail, keeping the last good data, and recovers", async ({ page, login }) => {
  await openDashboard(page, login);
  const panel = new Panel(page, "db_connections");
  await expect(panel.root).toHaveAttribute("data-stale", "false");
  const value = await panel.root.getByTestId("value").textContent();
  // Both ways in fail: the live stream's reconnect (the server ends each stream within
  // LIVE_STREAM_SECONDS × 1.5, playwright.config.ts) and the polling it falls back to.
  await page.route("**/api/live", (route) => route.abort("connectionrefused"));
  await page.route("**/api/health", (route) => route.abort("connectionrefused"));
  await expect(panel.root).toHaveAttribute("data-stale", "true", { timeout: within(2) + LIVE_STREAM_MAX_MS });
  await expect(panel.root.getByTestId("updated")).toContainText("Stale: refresh failing");
  await expect(page.getByTestId("refresh-error")).toContainText("showing the last good data");
  await expect(panel.root.getByTestId("value")).toHaveText(value ?? "");
  await page.unroute("**/api/health");
  await page.unroute("**/api/live");
  await expect(panel.root).toHaveAttribute("data-stale", "false", { timeout: within(2) });
});

test("detail tables open from the keyboard", async ({ page, login }) => {
  await openDashboard(page, login);
  const panel = new Panel(page, "db_connections");
  const summary = panel.root.getByTestId("details").locator("summary");
  await summary.focus();
  await page.keyboard.press("Enter");
  await expect(panel.root.getByTestId("connections-by-state")).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(panel.root.getByTestId("connections-by-state")).toBeHidden();
});

test("the dashboard fits a 375 px phone without horizontal scrolling", async ({ page, login }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await openDashboard(page, login);
  await new Panel(page, "ea_heartbeat").expectStatus("ok");
  // Open the widest tables too: they scroll inside their panel, never the page.
  for (const id of ["db_connections", "worker_rate_limit", "ea_heartbeat"]) await new Panel(page, id).root.getByTestId("details").locator("summary").click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const shot = testInfo.outputPath("dashboard-375px.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("dashboard-375px", { path: shot, contentType: "image/png" });
});

test("a wide screen shows the panels four to a row", async ({ page, login }, testInfo) => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await openDashboard(page, login);
  await expect(new Panel(page, "signals_recent").root.getByTestId("sparkline").locator("canvas")).toBeVisible();
  const tops = await Promise.all(CHECK_IDS.map(async (id) => (await new Panel(page, id).root.boundingBox())!.y));
  expect(new Set(tops.slice(0, 4)).size).toBe(1);
  expect(tops[4]).toBeGreaterThan(tops[0]!);
  const shot = testInfo.outputPath("dashboard-1440px.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("dashboard-1440px", { path: shot, contentType: "image/png" });
});

test("machines read /api/health, /api/health/history and /api/metrics with the API token; anonymous callers get 401", async ({ playwright }) => {
  const token = fs.readFileSync(path.join(path.dirname(e2eEnv.simStateFile), "api-token"), "utf8").trim();
  const anonymous = await playwright.request.newContext({ baseURL: e2eEnv.baseURL });
  const machine = await playwright.request.newContext({ baseURL: e2eEnv.baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  try {
    for (const p of ["/api/health", "/api/health/history", "/api/metrics"]) {
      expect((await anonymous.get(p)).status(), p).toBe(401);
      expect((await machine.get(p)).status(), p).toBe(200);
    }
    const metrics = await (await machine.get("/api/metrics")).text();
    for (const id of CHECK_IDS) expect(metrics).toContain(`recovery_console_check_state{check="${id}",state="ok"}`);
    expect((await anonymous.get("/healthz")).status()).toBe(200);
  } finally {
    await anonymous.dispose();
    await machine.dispose();
  }
});
