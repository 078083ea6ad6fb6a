/**
 * The load test: 100 viewers with the dashboard open while on-call run recovery actions.
 *
 * A viewer is a browser with a viewer's session: it polls /api/health every second (five times
 * the dashboard's own pace) and reloads the dashboard every 10 seconds. Meanwhile an on-call runs
 * the three recovery actions in turn, each for real (cancel 100 stale directives, kill 5 sessions
 * idle in transaction, reset an open circuit), through the server actions. Every failed request
 * and every action that does not succeed counts as an error.
 */
import type postgres from "postgres";
import type { TradeDirectorSim } from "../../sim/trade-director.ts";
import { cannon } from "../lib/cannon.ts";
import { confirmRequest, preview, type ActionClient, type ActionState } from "../lib/console.ts";
import type { Step } from "../lib/progress.ts";
import { openIdleSessions } from "../lib/sessions.ts";
import { p95, round, sleep, waitFor } from "../lib/stats.ts";
import { settleDirectives } from "./actions.ts";

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
  seconds: number;
  viewers: number;
  step: Step;
}) {
  await settleDirectives(o.writer);
  const headers = { cookie: o.viewerCookie };
  const reloadEverySeconds = 10;
  const health = cannon({ url: `${o.baseUrl}/api/health`, connections: o.viewers, connectionRate: 1, duration: o.seconds, headers });
  const pages = cannon({ url: `${o.baseUrl}/`, connections: Math.ceil(o.viewers / reloadEverySeconds), overallRate: Math.ceil(o.viewers / reloadEverySeconds), duration: o.seconds, headers });

  const actions: { name: string; ok: boolean; ms: number; message?: string }[] = [];
  const deadline = Date.now() + o.seconds * 1000 - 3000;
  const runAction = async (name: "CancelStaleDirectives" | "KillIdleTransactions" | "ResetCircuit") => {
    const cookie = await o.oncallCookie();
    const p = await preview(o.client, name, cookie);
    const answer = await o.client.send<ActionState>(await confirmRequest(o.client, name, p, cookie), { timeoutMs: 30_000 });
    const ok = answer.value?.ok === true && answer.value.result?.outcome === "succeeded";
    actions.push({ name, ok, ms: answer.ms, ...(ok ? {} : { message: answer.value?.message ?? `HTTP ${answer.status}` }) });
  };
  const loop = (async () => {
    for (let i = 0; Date.now() < deadline; i++) {
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
        actions.push({ name: ["cancel", "kill", "reset"][kind]!, ok: false, ms: 0, message: err instanceof Error ? err.message : String(err) });
      }
      await sleep(500);
    }
  })();
  const [h, p] = await Promise.all([health.done, pages.done, loop]);
  const failedActions = actions.filter((a) => !a.ok);
  const errors = h.errors + h.non2xx + p.errors + p.non2xx + failedActions.length;
  o.step.note(`/api/health: ${h.requests} requests, p95 ${round(h.p95, 1)} ms; dashboard: ${p.requests} loads, p95 ${round(p.p95, 1)} ms; ${actions.length} actions`);
  return {
    seconds: o.seconds,
    viewers: o.viewers,
    errors,
    healthP95Ms: round(h.p95, 1),
    healthP50Ms: round(h.p50, 1),
    healthRequests: h.requests,
    dashboardP95Ms: round(p.p95, 1),
    dashboardLoads: p.requests,
    actions: actions.length,
    actionsByName: Object.fromEntries(["CancelStaleDirectives", "KillIdleTransactions", "ResetCircuit"].map((n) => [n, actions.filter((a) => a.name === n).length])),
    actionP95Ms: round(p95(actions.filter((a) => a.ok).map((a) => a.ms)), 1),
    failures: [...failedActions.map((a) => `${a.name}: ${a.message}`), ...(h.errors + h.non2xx ? [`/api/health: ${h.errors} errors, ${h.non2xx} non-2xx ${JSON.stringify(h.statuses)}`] : []), ...(p.errors + p.non2xx ? [`dashboard: ${p.errors} errors, ${p.non2xx} non-2xx ${JSON.stringify(p.statuses)}`] : [])],
    model: `each viewer polls /api/health every 1 s and reloads the dashboard every ${reloadEverySeconds} s; an on-call runs the three actions in turn`,
  };
}
