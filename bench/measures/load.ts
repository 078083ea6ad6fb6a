/**
 * The load test: 1,000 viewers (100 in --quick) with the dashboard open while on-call run
 * recovery actions.
 *
 * A viewer does what the dashboard's own code does (components/data/*): it loads the page, then
 * holds the live stream (/api/live: the snapshot and the open incidents pushed at each refresh,
 * reconnecting when the server ends the stream, as EventSource does) and fetches
 * /api/health/history every 30 s, with a viewer's session cookie, on its own keep-alive
 * connections (bench/lib/viewer-http.ts). Machine readers (monitoring) poll /api/health with the
 * API token meanwhile. The viewers open the dashboard during a warm-up (spread over
 * `warmupSeconds`: people opening the link as an incident starts; reported apart); then, for
 * `seconds`, all are watching, each reloads the page once at a random moment, and an on-call
 * runs the three recovery actions in turn, each for real (cancel 100 stale directives, kill 5 sessions idle in
 * transaction, reset an open circuit) through the server actions. The latencies are the window's;
 * every failed request or stream (warm-up included), every viewer left without an update for
 * three refresh intervals, and every action that does not succeed is an error. The push's
 * fan-out: for each snapshot pushed, how long after the first viewer got it each other did.
 *
 * Before the live stream, the dashboard polled /api/health and /api/incidents/current every 5 s:
 * 400 requests a second for 1,000 viewers, which saturated an instance (bench/results/README.md).
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

type Kind = "dashboard" | "health" | "history";

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
  /** Machine readers of /api/health with the API token (monitoring), besides the viewers. */
  apiReaders: number;
  apiToken: string;
  warmupSeconds: number;
  seconds: number;
  viewers: number;
  step: Step;
}) {
  await settleDirectives(o.writer);
  const times: Record<Kind, number[]> = { dashboard: [], health: [], history: [] };
  const arrival: Record<Kind, number[]> = { dashboard: [], health: [], history: [] };
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

  // Pushes: per push (the event's id), when each viewer received it; the spread is the fan-out delay.
  const pushes = new Map<string, number[]>();
  const streamOpens: number[] = [];
  const starved: string[] = [];
  const staleAfterMs = 3 * o.refreshSeconds * 1000;

  const viewer = async () => {
    await sleep(Math.random() * o.warmupSeconds * 1000);
    const tab = new Tab(o.baseUrl, { cookie: o.viewerCookie });
    try {
      await get(tab, "dashboard", "/");
      let lastHealth = Date.now();
      // The first event of each (re)connection is the state at that moment, not a push: not in the fan-out.
      let first = true;
      const streaming = tab.stream("/api/live", {
        until,
        onOpen: (ms) => {
          first = true;
          if (Date.now() >= windowStart) streamOpens.push(ms);
        },
        onEvent: (event, _data, id) => {
          if (event !== "health") return;
          const now = Date.now();
          if (now >= windowStart && now - lastHealth > staleAfterMs) starved.push(`no update for ${now - lastHealth} ms`);
          lastHealth = now;
          const initial = first;
          first = false;
          if (id === undefined || initial || now < windowStart) return;
          let times = pushes.get(id);
          if (!times) pushes.set(id, (times = []));
          times.push(performance.now());
        },
        onError: (message) => failures.push(`${message}${Date.now() >= windowStart ? "" : " (warm-up)"}`),
      });
      const reloadAt = windowStart + Math.random() * (until - windowStart);
      let reloaded = false;
      for (let nextHistory = Date.now() + 30_000; ;) {
        const wake = Math.min(nextHistory, reloaded ? Infinity : reloadAt);
        if (wake >= until) break;
        await sleep(Math.max(0, wake - Date.now()));
        if (!reloaded && Date.now() >= reloadAt) {
          reloaded = true;
          await get(tab, "dashboard", "/");
        } else {
          nextHistory += 30_000;
          await get(tab, "history", "/api/health/history");
        }
      }
      await streaming;
      if (until - lastHealth > staleAfterMs) starved.push(`no update in the last ${until - lastHealth} ms`);
    } finally {
      tab.close();
    }
  };

  /** Machine readers of /api/health (monitoring, status bots) with the API token, every refresh. */
  const apiReader = async () => {
    await sleep(Math.random() * o.refreshSeconds * 1000);
    const tab = new Tab(o.baseUrl, { authorization: `Bearer ${o.apiToken}` });
    try {
      for (let tick = Date.now(); tick < until; tick += o.refreshSeconds * 1000) {
        await sleep(Math.max(0, tick - Date.now()));
        await get(tab, "health", "/api/health");
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

  await Promise.all([...Array.from({ length: o.viewers }, viewer), ...Array.from({ length: o.apiReaders }, apiReader), oncall()]);
  const failedActions = actions.filter((a) => !a.ok);
  const errors = failures.length + failedActions.length + starved.length;
  const spread: number[] = [];
  for (const times of pushes.values()) {
    const first = Math.min(...times);
    for (const t of times) spread.push(t - first);
  }
  const stat = (k: Kind, from = times) => ({
    requests: from[k].length,
    p50Ms: round(percentile(from[k], 50), 1),
    p95Ms: round(p95(from[k]), 1),
    maxMs: round(Math.max(...from[k]), 1),
  });
  const livePushP95Ms = round(p95(spread), 1);
  o.step.note(
    `${o.viewers} viewers on the live stream: ${pushes.size} pushes, fan-out p95 ${livePushP95Ms} ms, ${starved.length} starved; /api/health (${o.apiReaders} readers): ${times.health.length} requests, p95 ${stat("health").p95Ms} ms; dashboard: ${times.dashboard.length} loads, p95 ${stat("dashboard").p95Ms} ms; ${actions.length} actions, ${failedActions.length} failed` +
      ` (warm-up: ${arrival.dashboard.length} page loads, p95 ${stat("dashboard", arrival).p95Ms} ms)`,
  );
  return {
    seconds: o.seconds,
    viewers: o.viewers,
    errors,
    healthP95Ms: stat("health").p95Ms,
    dashboardP95Ms: stat("dashboard").p95Ms,
    livePushP95Ms,
    live: {
      pushes: pushes.size,
      deliveries: spread.length,
      fanOutP50Ms: round(percentile(spread, 50), 1),
      fanOutP95Ms: livePushP95Ms,
      streamOpenP95Ms: round(p95(streamOpens), 1),
      streamOpens: streamOpens.length,
      starved: starved.length,
    },
    requests: { dashboard: stat("dashboard"), health: stat("health"), history: stat("history") },
    warmup: { seconds: o.warmupSeconds, dashboard: stat("dashboard", arrival) },
    actions: actions.length,
    actionsByName: Object.fromEntries(
      ["CancelStaleDirectives", "KillIdleTransactions", "ResetCircuit"].map((n) => [n, actions.filter((a) => a.name === n).length]),
    ),
    actionP95Ms: round(p95(actions.filter((a) => a.ok).map((a) => a.ms)), 1),
    failures: [...failedActions.map((a) => `${a.name}: ${a.message}`), ...starved, ...failures].slice(0, 20),
    model: `${o.viewers} viewers, each on its own keep-alive connections, open the dashboard over a ${o.warmupSeconds} s warm-up; for ${o.seconds} s each holds the dashboard's live stream (/api/live, reconnecting when the server ends it), fetches /api/health/history every 30 s and reloads once; ${o.apiReaders} machine readers poll /api/health every ${o.refreshSeconds} s with the API token; an on-call runs the three actions in turn`,
  };
}
