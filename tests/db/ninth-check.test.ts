/**
 * Issue 17's proof that a check is one module: a ninth check, added here with one registry line
 * (and one renderer line), appears in /api/health, on the dashboard and in /api/metrics, with no
 * other edit to the console. The eight real checks run beside it, as in production.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createElement } from "react";
import { renderToReadableStream } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as getHealth } from "@/app/api/health/route";
import { GET as getHistory } from "@/app/api/health/history/route";
import { GET as getMetrics } from "@/app/api/metrics/route";
import { GET as getStatus } from "@/app/api/status/route";
import { actionsByCheck } from "@/components/actions/panel-actions";
import { idleTransactionsRenderer } from "@/components/checks/idle-transactions";
import { CheckRenderersContext, checkRenderers, type CheckRenderers } from "@/components/checks/registry";
import { HealthBoard } from "@/components/health-board";
import { closeStores } from "@/lib/db/client";
import { recoveryActions } from "@/lib/recovery/actions";
import { checks } from "@/lib/recovery/health/checks";
import { resetHealthMonitor, type HealthHistory, type Snapshot } from "@/lib/recovery/health/snapshot";
import type { StatusDto } from "@/lib/recovery/health/status";
import { ninthCheck, ninthRenderer } from "../support/ninth-check";
import { withEnv } from "../support/db";

// The board redirects to sign-in through the App Router, which a plain server render has not mounted.
vi.mock("next/navigation", () => ({ useRouter: () => ({ replace: () => {} }) }));

const API_TOKEN = "console-api-token-for-tests";
const request = (path: string) => new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });

// The registry lines.
const registry = [...checks, ninthCheck];
const renderers = { ...checkRenderers, ninth_check: ninthRenderer };

beforeAll(async () => {
  await withEnv({ CONSOLE_API_TOKEN: API_TOKEN, HEALTH_REFRESH_SECONDS: "60" });
  resetHealthMonitor(registry);
});
afterAll(async () => {
  resetHealthMonitor();
  await closeStores();
  await withEnv({ CONSOLE_API_TOKEN: undefined, HEALTH_REFRESH_SECONDS: undefined });
});

describe("a ninth check, registered with one line", () => {
  it("is in /api/health, after the eight, with its reading and detail", async () => {
    const res = await getHealth(request("/api/health"), {});
    expect(res.status).toBe(200);
    const body = (await res.json()) as Snapshot;
    expect(body.checks.map((c) => c.id)).toEqual([...checks.map((c) => c.id), "ninth_check"]);
    expect(body.checks.at(-1)).toMatchObject({
      id: "ninth_check",
      title: "Report queue backlog",
      status: "critical",
      value: 7,
      unit: "jobs",
      summary: "7 reports queued",
      detail: { backlog: 7, limit: 5, oldestJob: "report-42" },
    });
  });

  it("has a panel on the dashboard, drawn by its renderer", async () => {
    const snapshot = (await (await getHealth(request("/api/health"), {})).json()) as Snapshot;
    const history = (await (await getHistory(request("/api/health/history"), {})).json()) as HealthHistory;
    // Rendered as the server renders the page: to the end, the panels' deferred parts (the details,
    // components/lazy.tsx) included.
    const stream = await renderToReadableStream(
      createElement(
        CheckRenderersContext.Provider,
        { value: renderers },
        // The incident banner gives the shared incidents query its fetcher in the app; here nothing fetches.
        createElement(
          QueryClientProvider,
          { client: new QueryClient({ defaultOptions: { queries: { queryFn: async () => null } } }) },
          createElement(HealthBoard, { initial: snapshot, initialHistory: history, canAct: false }),
        ),
      ),
    );
    await stream.allReady;
    const html = await new Response(stream).text();
    const panel = html.slice(html.indexOf('data-testid="panel-ninth_check"'));
    expect(panel).toContain('data-status="critical"');
    expect(panel).toContain("Report queue backlog");
    expect(panel).toContain("7 reports queued");
    expect(panel).toContain('data-testid="ninth-detail"');
    expect(panel).toContain("report-42");
    // The eight real panels are there too.
    for (const c of checks) expect(html).toContain(`data-testid="panel-${c.id}"`);
  });

  it("is in /api/metrics", async () => {
    const res = await getMetrics(request("/api/metrics"), {});
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('recovery_console_check_status{check="ninth_check"} 2');
    expect(text).toContain('recovery_console_check_state{check="ninth_check",state="critical"} 1');
    expect(text).toContain('recovery_console_check_value{check="ninth_check",unit="jobs"} 7');
  });

  it("speaks for its area on the status page", async () => {
    const res = await getStatus(request("/api/status"), {});
    expect(res.status).toBe(200);
    const status = (await res.json()) as StatusDto;
    // Its area's real checks are quiet here (no failed execution; no EA configured): the outage is the ninth's.
    expect(status.areas.find((a) => a.id === "execution")).toMatchObject({ level: "outage", monitored: true });
  });
});

describe("a check's actions are named once, in its module", () => {
  it("each action re-reads the check that names it, and that check's panel carries its button", () => {
    const named = checks.flatMap((c) => c.actions.map((a) => [a, c.id] as const));
    expect(recoveryActions.filter((a) => a.checkId !== null).map((a) => [a.name, a.checkId])).toEqual(expect.arrayContaining(named.map(([a, id]) => [a, id])));
    expect(recoveryActions.filter((a) => a.checkId !== null)).toHaveLength(named.length);
    expect(Object.keys(actionsByCheck).sort()).toEqual(
      checks
        .filter((c) => c.actions.length > 0)
        .map((c) => c.id)
        .sort(),
    );
  });
});

describe("the renderers' registry is typed by the checks' registry (npm run typecheck enforces these)", () => {
  it("asks for a renderer for every check, drawing that check's detail", () => {
    const { signals_recent: signals, ...withoutSignals } = checkRenderers;
    // @ts-expect-error a registered check without a renderer
    const missing: CheckRenderers = withoutSignals;
    // @ts-expect-error the idle sessions' renderer cannot draw the signals' detail
    const mismatched: CheckRenderers = { ...checkRenderers, signals_recent: idleTransactionsRenderer };
    expect(Object.keys(missing)).not.toContain("signals_recent");
    expect(mismatched.signals_recent).not.toBe(signals);
    expect(Object.keys(checkRenderers).sort()).toEqual(checks.map((c) => c.id).sort());
  });
});
