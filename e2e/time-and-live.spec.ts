/**
 * Issue 18, points 8 and 9: one way to show time on every page (the viewer's local time with the
 * zone named, the exact UTC on hover, a setting for UTC everywhere, no hydration errors), and the
 * incident page kept live (status, level, the current values of its checks).
 */
import type { Page } from "@playwright/test";
import { expect, sim, test } from "./fixtures";
import { injectedScenarios } from "./support/injected-scenarios";

const world = injectedScenarios();
const { inject } = world;

/** React's hydration complaints and page errors, collected for the whole test. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /hydrat|did not match|server rendered/i.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

async function openIncident(page: Page) {
  const banner = page.getByTestId("incident-banner").filter({ hasText: "Signal Generator Crash" });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  const href = (await banner.getByRole("link", { name: /^INC-\d+$/ }).getAttribute("href"))!;
  return { banner, href, id: Number(href.split("/").pop()) };
}

test.describe("one way to show time", () => {
  test.use({ timezoneId: "America/New_York", locale: "en-US" });

  test("every page shows local time with the zone named and the exact UTC on hover; the setting switches all to UTC; no hydration errors", async ({
    page,
    login,
  }) => {
    const errors = watchErrors(page);
    await login.signInAs("oncall");
    await inject("signal-generator-crash");
    const { banner, href } = await openIncident(page);

    const pages = ["/", href, `${href}/report`, "/incidents", "/audit", "/status", "/runbook"];
    const times = page.locator("time");
    for (const url of pages) {
      await page.goto(url);
      await expect(times.first()).toBeVisible();
      // Hydrated: every time names the viewer's zone (EST in December), with the exact UTC as its title.
      await expect(times.first()).toHaveAttribute("data-time-mode", "local");
      // The dashboard's panels and details hydrate as their code arrives (components/lazy.tsx
      // `deferred`), after the banner: until then their times are the server's UTC.
      await expect(page.locator('time[data-time-mode="server"]'), `${url}: every part hydrated`).toHaveCount(0);
      const all = await times.evaluateAll((els) =>
        els.map((e) => ({ text: e.textContent ?? "", title: e.getAttribute("title") ?? "", mode: e.getAttribute("data-time-mode") })),
      );
      expect(all.length, `${url} shows times`).toBeGreaterThan(0);
      for (const t of all) {
        expect(t.text, `${url}: ${JSON.stringify(t)}`).toMatch(/\b(EST|EDT)\b/);
        expect(t.title, `${url}: ${JSON.stringify(t)}`).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/);
      }
    }

    // The setting: UTC everywhere, kept across pages and reloads.
    await page.goto("/");
    await expect(banner.locator("time")).toContainText(/EST|EDT/);
    await page.getByTestId("time-setting").selectOption("utc");
    await expect(banner.locator("time")).toHaveText(/^\d\d:\d\d:\d\d UTC$/);
    for (const url of pages) {
      await page.goto(url);
      await expect(times.first()).toHaveAttribute("data-time-mode", "utc");
      const texts = await times.allTextContents();
      for (const t of texts) expect(t, url).toMatch(/UTC$/);
    }
    await page.getByTestId("time-setting").selectOption("local");
    await expect(times.first()).toContainText(/EST|EDT/);
    expect(errors, errors.join("\n")).toEqual([]);
  });
});

test("the incident page is live: its status, level and the current values of its checks follow without a reload", async ({ page, login }) => {
  const errors = watchErrors(page);
  await login.signInAs("oncall");
  await inject("signal-generator-crash");
  const { href, id } = await openIncident(page);
  await page.goto(href);
  const status = page.getByTestId("incident-status");
  await expect(status).toContainText("Open, level 1");
  const check = page.getByTestId("incident-check-signals_recent");
  await expect(check).toHaveAttribute("data-status", "critical");
  const firstValue = await check.getByTestId("incident-check-value").textContent();

  // The escalation clock moves on (L2 at 15 minutes): the page follows without a reload.
  await world.sql`update console.incidents set started_at = started_at - interval '16 minutes' where id = ${id} and status = 'open'`;
  await expect(status).toContainText("Open, level 2", { timeout: 15_000 });

  // The world heals: the check's value and status change, and the incident resolves, all in place.
  await sim.heal();
  await expect(check).toHaveAttribute("data-status", "ok", { timeout: 30_000 });
  await expect(check.getByTestId("incident-check-value")).not.toHaveText(firstValue ?? "");
  await expect(status).toContainText("Resolved", { timeout: 45_000 });
  expect(errors, errors.join("\n")).toEqual([]);
});
