/**
 * The load test: 1,000 viewers (100 in --quick) with the dashboard open while on-call run
 * recovery actions.
 *
 * A viewer does what the dashboard's own code does (components/data/*): it loads the page, then
 * polls /api/health at the snapshot's refresh interval and /api/incidents/current every 5 s, and
 * /api/health/history every 30 s, with a viewer's session cookie, on its own keep-alive
 * connections (bench/lib/viewer-http.ts). They open the dashboard during a warm-up (spread over
 * `warmupSeconds`: people opening the link as an incident starts; reported apart); then, for
 * `seconds`, all are watching, each reloads the page once at a random moment, and an on-call
 * runs the three recovery actions in turn, each for real (cancel 100 stale directives, kill 5 sessions idle in
 * transaction, reset an open circuit) through the server actions. The latencies are the window's;
 * every failed request (warm-up included) and every action that does not succeed is an error.
 *
 * autocannon paces a connection at 1 request/s at the slowest, five times a dashboard's pace, so
 * the viewers are simulated here; autocannon measures raw throughput (serving_ratio).
 */
import type postgres from "postgres";
import type { TradeDirectorSim } from "../../sim/trade-director.ts";
import { confirmRequest, preview, type ActionClient, type ActionState } from "../../tests/support/harness/console.ts";
import type { Step } from "../../tests/support/harness/progress.ts";
import { openIdleSessions } from "../../tests/support/harness/sessions.ts";
import { p95, percentile, round, sleep, waitFor } from "../lib/stats.ts";
import { settleDirectives } from "./actions.ts";
import { Tab } from "../lib/viewer-http.ts";

type Kind = "dashboard" | "health" | "incidents" | "history";

export async function measureLoad(o: {
  baseUrl: string;
  viewerCookie: string;
  oncallCookie: () => Promise<string>;
  client: ActionClient;
  writer: postgres.Sql;
  watcher: postgres.Sql;
  appUrl: string;
  director: TradeDirectorSim;
  idleSeconds: number;
  refreshSeconds: number;
  warmupSeconds: number;
  seconds: number;
  viewers: number;
  step: Step;
}) {
  await settleDirectives(o.writer);
  const times: Record<Kind, number[]> = { dashboard: [], health: [], incidents: [], history: [] };
  const arrival: Record<Kind, number[]> = { dashboard: [], health: [], incidents: [], history: [] };
  const failures: string[] = [];
  const started = Date.now();
  const windowStart = started + o.warmupSeconds * 1000;
  const until = windowStart + o.seconds * 1000;

  const get = async (tab: Tab, kind: Kind, path: string) => {
    const inWindow = Date.now() >= windowStart;
    try {
      const res = await tab.get(path);
      (inWindow ? times : arrival)[kind].push(res.ms);
      if (res.status !== 200) failures.push(`${path}: HTTP ${res.status}${inWindow ? "" : " (warm-up)"}`);
    } catch (err) {
      failures.push(`${path}: ${err instanceof Error ? err.message : String(err)}${inWindow ? "" : " (warm-up)"}`);
    }
  };

  const viewer = async () => {
    await sleep(Math.random() * o.warmupSeconds * 1000);
    const tab = new Tab(o.baseUrl, { cookie: o.viewerCookie });
    try {
      await get(tab, "dashboard", "/");
      const reloadAt = windowStart + Math.random() * (until - windowStart);
      let reloaded = false;
      let nextHistory = Date.now() + 30_000;
      for (let tick = Date.now() + o.refreshSeconds * 1000; tick < until; tick += o.refreshSeconds * 1000) {
        await sleep(Math.max(0, tick - Date.now()));
        if (Date.now() >= until) break;
        if (!reloaded && Date.now() >= reloadAt) {
          reloaded = true;
          await get(tab, "dashboard", "/");
          continue;
        }
        const polls = [get(tab, "health", "/api/health"), get(tab, "incidents", "/api/incidents/current")];
        if (Date.now() >= nextHistory) {
          nextHistory += 30_000;
          polls.push(get(tab, "history", "/api/health/history"));
        }
        await Promise.all(polls);
      }
    } finally {
      tab.close();
    }
  };

  const actions: { name: string; ok: boolean; ms: number; message?: string }[] = [];
  const runAction = async (name: "CancelStaleDirectives" | "KillIdleTransactions" | "ResetCircuit") => {
    const cookie = await o.oncallCookie();
    const p = await preview(o.client, name, cookie);
    const answer = await o.client.send<ActionState>(await confirmRequest(o.client, name, p, cookie), { timeoutMs: 30_000 });
    const ok = answer.value?.ok === true && answer.value.result?.run?.outcome === "succeeded";
    actions.push({ name, ok, ms: answer.ms, ...(ok ? {} : { message: answer.value?.message ?? `HTTP ${answer.status}` }) });
  };
  const oncall = async () => {
    await sleep(Math.max(0, windowStart - Date.now()));
    for (let i = 0; Date.now() < until - 3000; i++) {
      const kind = i % 3;
      try {
        if (kind === 0) {
          await o.writer`insert into trade_directives (symbol, status, created_at) select 'EURUSD', 'pending', now() - interval '1 hour' from generate_series(1, 100)`;
          await runAction("CancelStaleDirectives");
        } else if (kind === 1) {
          const sessions = await openIdleSessions(o.appUrl, 5, "bench-leaky-app");
          try {
            await waitFor(
              async () => {
                const [{ n }] = await o.watcher<[{ n: number }]>`
                  select count(*)::int as n from pg_stat_activity where pid = any(${sessions.pids}::int[])
                    and state = 'idle in transaction' and state_change < now() - make_interval(secs => ${o.idleSeconds + 0.2})`;
                return n === 5;
              },
              { timeoutMs: 20_000, what: "idle sessions" },
            );
            await runAction("KillIdleTransactions");
          } finally {
            await sessions.close();
          }
        } else {
          o.director.open();
          await runAction("ResetCircuit");
        }
      } catch (err) {
        actions.push({
          name: ["CancelStaleDirectives", "KillIdleTransactions", "ResetCircuit"][kind]!,
          ok: false,
          ms: 0,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      await sleep(1000);
    }
  };

  await Promise.all([...Array.from({ length: o.viewers }, viewer), oncall()]);
  const failedActions = actions.filter((a) => !a.ok);
  const errors = failures.length + failedActions.length;
  const stat = (k: Kind, from = times) => ({
    requests: from[k].length,
    p50Ms: round(percentile(from[k], 50), 1),
    p95Ms: round(p95(from[k]), 1),
    maxMs: round(Math.max(...from[k]), 1),
  });
  o.step.note(
    `${o.viewers} viewers; /api/health: ${times.health.length} requests, p95 ${stat("health").p95Ms} ms; dashboard: ${times.dashboard.length} loads, p95 ${stat("dashboard").p95Ms} ms; ${actions.length} actions, ${failedActions.length} failed` +
      ` (warm-up: ${arrival.dashboard.length} page loads, p95 ${stat("dashboard", arrival).p95Ms} ms)`,
  );
  return {
    seconds: o.seconds,
    viewers: o.viewers,
    errors,
    healthP95Ms: stat("health").p95Ms,
    dashboardP95Ms: stat("dashboard").p95Ms,
    requests: { dashboard: stat("dashboard"), health: stat("health"), incidents: stat("incidents"), history: stat("history") },
    warmup: { seconds: o.warmupSeconds, dashboard: stat("dashboard", arrival), health: stat("health", arrival), incidents: stat("incidents", arrival) },
    actions: actions.length,
    actionsByName: Object.fromEntries(
      ["CancelStaleDirectives", "KillIdleTransactions", "ResetCircuit"].map((n) => [n, actions.filter((a) => a.name === n).length]),
    ),
    actionP95Ms: round(p95(actions.filter((a) => a.ok).map((a) => a.ms)), 1),
    failures: [...failedActions.map((a) => `${a.name}: ${a.message}`), ...failures].slice(0, 20),
    model: `${o.viewers} viewers, each on its own keep-alive connection, open the dashboard over a ${o.warmupSeconds} s warm-up, then for ${o.seconds} s each polls /api/health every ${o.refreshSeconds} s and /api/incidents/current every 5 s, /api/health/history every 30 s, and reloads once; an on-call runs the three actions in turn`,
  };
}
