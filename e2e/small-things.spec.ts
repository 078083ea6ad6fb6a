/**
 * Issue 18, point 12: the small things. robots.txt and the favicon are served to anyone (not
 * redirected to the sign-in page); the panels can be ordered worst-first, and a phone shows the
 * critical panel first.
 */
import { expect, Panel, sim, test } from "./fixtures";

test.afterEach(async () => {
  await sim.heal();
});

test("/robots.txt disallows everything and /favicon.ico is an icon, both without signing in", async ({ request }) => {
  const robots = await request.get("/robots.txt", { maxRedirects: 0 });
  expect(robots.status()).toBe(200);
  expect(robots.headers()["content-type"]).toMatch(/^text\/plain/);
  expect(await robots.text()).toMatch(/User-Agent: \*\s+Disallow: \//i);

  const icon = await request.get("/favicon.ico", { maxRedirects: 0 });
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toMatch(/^image\//);
  expect((await icon.body()).length).toBeGreaterThan(0);
});

const panelIds = (page: import("@playwright/test").Page) =>
  page.locator('[data-testid^="panel-"][data-status]').evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")!.replace("panel-", "")));

test("panels can be ordered worst-first, and at phone width the critical panel comes first", async ({ page, login }) => {
  await login.signInAs("oncall");
  const circuit = new Panel(page, "circuit_breaker");
  await circuit.expectStatus("ok");
  const configured = await panelIds(page);
  expect(configured[0]).not.toBe("circuit_breaker");

  await sim.inject("trade-director-stuck");
  await circuit.expectStatus("critical");
  // As configured by default, on a wide screen.
  expect((await panelIds(page)).indexOf("circuit_breaker")).toBe(configured.indexOf("circuit_breaker"));

  // Worst first: every critical panel before every other, kept across reloads.
  await page.getByTestId("panel-order").selectOption("worst");
  const statuses = async () => page.locator('[data-testid^="panel-"][data-status]').evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
  await expect.poll(async () => (await statuses())[0]).toBe("critical");
  const s = await statuses();
  expect(s.lastIndexOf("critical")).toBeLessThan(s.findIndex((x) => x !== "critical"));
  await page.reload();
  await expect.poll(async () => (await statuses())[0]).toBe("critical");
  await page.getByTestId("panel-order").selectOption("configured");

  // A phone: the critical panel is the first one seen, whatever the order setting.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect
    .poll(async () =>
      page.locator('[data-testid^="panel-"][data-status]').evaluateAll((els) => {
        const top = els.map((e) => ({ status: e.getAttribute("data-status"), y: e.getBoundingClientRect().top })).sort((a, b) => a.y - b.y);
        return top[0]?.status;
      }),
    )
    .toBe("critical");
});

test("runbook steps beside a panel: commands wrap inside the panel, and scenario 1 links to the configured logs", async ({ page, login }) => {
  await login.signInAs("oncall");
  await page.setViewportSize({ width: 390, height: 844 });
  await sim.inject("signal-generator-crash");
  const panel = new Panel(page, "signals_recent");
  await panel.expectStatus("critical");
  const runbook = panel.root.getByTestId("panel-runbook");
  await expect(runbook.getByTestId("runbook-links").getByRole("link", { name: "Logs" })).toHaveAttribute("href", "https://logs.example.com/signal-generator");
  // Every command fits the panel: it wraps rather than running past the edge or hiding in a scroller.
  const overflow = await runbook.locator("code").evaluateAll((els) =>
    els.map((e) => ({
      text: e.textContent,
      fits: e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= e.closest("section")!.getBoundingClientRect().right + 1,
    })),
  );
  expect(overflow.filter((o) => !o.fits)).toEqual([]);
});
