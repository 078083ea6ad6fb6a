/**
 * Measures taken over HTTP against the running console: first_load_js_kb, ttfb_ratio,
 * serving_ratio, viewers_ratio and freshness_ms.
 */
import fs from "node:fs";
import type { CheckId } from "../../lib/recovery/health/checks/index.ts";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type postgres from "postgres";
import { cannon, type CannonResult } from "../lib/cannon.ts";
import { Tab } from "../lib/viewer-http.ts";
import { distDir } from "../../tests/support/harness/console.ts";
import type { Step } from "../../tests/support/harness/progress.ts";
import { median, percentile, p95, round, roundRatios, sleep } from "../lib/stats.ts";

type Health = {
  generatedAt: string;
  refreshSeconds: number;
  /** Several instances: "shared" when the answering instance serves another's evaluation. */
  source?: "local" | "shared";
  checks: { id: string; status: string; value: number | string | null }[];
};

export async function getHealth(baseUrl: string, token: string): Promise<Health> {
  const res = await fetch(`${baseUrl}/api/health`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/api/health answered ${res.status}`);
  return (await res.json()) as Health;
}

/** The JavaScript files a page makes the browser fetch at once: its <script src> and <link rel="preload" as="script">. */
function firstLoadScripts(html: string): string[] {
  const tags = [...html.matchAll(/<script\b[^>]*>/g), ...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
  const srcs = tags
    // The nomodule polyfill is for browsers without ES modules; others skip it.
    .filter((tag) => !/\bnoModule\b/i.test(tag))
    .filter((tag) => tag.startsWith("<script") || (/\brel="preload"/.test(tag) && /\bas="script"/.test(tag)))
    .map((tag) => /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1])
    .filter((src): src is string => !!src && src.startsWith("/_next/") && src.split("?")[0]!.endsWith(".js"));
  return [...new Set(srcs)];
}

function gzipSizes(srcs: string[]) {
  return srcs.map((src) => {
    const raw = fs.readFileSync(path.join(distDir(), src.replace(/^\/_next\//, "").split("?")[0]!));
    return { src, bytes: raw.length, gzip: gzipSync(raw, { level: 6 }).length };
  });
}

/**
 * The JavaScript a browser fetches to show the dashboard: every script the server-rendered page
 * loads or preloads (the nomodule polyfill aside), each read from the production build and
 * gzipped (level 6, what `next start` sends). kB are 1000 bytes, as in `next build`'s own report.
 * The static reference page's share is the framework's floor (Next and React, the root layout).
 */
export async function measureFirstLoadJs(baseUrl: string, cookie: string) {
  const page = async (p: string) => {
    const res = await fetch(`${baseUrl}${p}`, { headers: { cookie } });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
    return html;
  };
  const html = await page("/");
  if (!html.includes('data-testid="panel-')) throw new Error("the dashboard did not render its panels");
  const files = gzipSizes(firstLoadScripts(html));
  const floor = gzipSizes(firstLoadScripts(await page("/reference")));
  const kb = (list: { gzip: number }[]) => round(list.reduce((n, f) => n + f.gzip, 0) / 1000, 1);
  const shared = new Set(floor.map((f) => f.src));
  return {
    kb: kb(files),
    rawKb: round(files.reduce((n, f) => n + f.bytes, 0) / 1000, 1),
    frameworkFloorKb: kb(floor),
    dashboardOwnKb: kb(files.filter((f) => !shared.has(f.src))),
    files,
  };
}

/**
 * Time to the first byte (the response's status line and headers), one request at a time,
 * alternating the dashboard and the static reference page, both with the same on-call's session
 * cookie (one browser, two pages), so both see the same machine and the same proxy work. The
 * figure is the median over `rounds` consecutive rounds of (dashboard p95 ÷ static p95).
 */
export async function measureTtfb(o: { baseUrl: string; cookie: string; samples: number; rounds: number }) {
  const one = async (url: string, headers: Record<string, string>) => {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const ttfb = performance.now() - t0;
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    return { ttfb, total: performance.now() - t0 };
  };
  const dash: { ttfb: number; total: number }[] = [];
  const stat: { ttfb: number; total: number }[] = [];
  for (let i = 0; i < 10; i++) {
    await one(`${o.baseUrl}/`, { cookie: o.cookie });
    await one(`${o.baseUrl}/reference`, { cookie: o.cookie });
  }
  for (let i = 0; i < o.samples; i++) {
    dash.push(await one(`${o.baseUrl}/`, { cookie: o.cookie }));
    stat.push(await one(`${o.baseUrl}/reference`, { cookie: o.cookie }));
  }
  const t = (list: typeof dash) => list.map((x) => x.ttfb);
  const full = (list: typeof dash) => list.map((x) => x.total);
  // Consecutive rounds of the interleaved samples; the median of the rounds' ratios of p95s.
  const size = Math.ceil(o.samples / o.rounds);
  const byRound = roundRatios(
    Array.from({ length: Math.ceil(o.samples / size) }, (_, r) => ({ a: t(dash.slice(r * size, (r + 1) * size)), b: t(stat.slice(r * size, (r + 1) * size)) })),
  );
  return {
    ratio: round(byRound.ratio, 3),
    perRound: byRound.perRound,
    overallP95Ratio: round(p95(t(dash)) / p95(t(stat)), 3),
    dashboardP95Ms: round(p95(t(dash)), 2),
    dashboardP50Ms: round(percentile(t(dash), 50), 2),
    staticP95Ms: round(p95(t(stat)), 2),
    staticP50Ms: round(percentile(t(stat), 50), 2),
    // The whole answer (the dashboard streams its panels after the first byte), for reference.
    dashboardCompleteP95Ms: round(p95(full(dash)), 2),
    staticCompleteP95Ms: round(p95(full(stat)), 2),
    samples: o.samples,
  };
}

/**
 * Requests per second of /api/health (a machine reader's bearer token; the shared snapshot,
 * re-evaluated every interval as usual) against the trivial static route /reference/ping, with
 * autocannon, alternating rounds so both see the same machine; the figure is the median of the
 * rounds' ratios. Same headers for both.
 */
export async function measureServing(o: { baseUrl: string; token: string; seconds: number; rounds: number; connections: number; step: Step }) {
  const headers = { authorization: `Bearer ${o.token}` };
  const health: CannonResult[] = [];
  const stat: CannonResult[] = [];
  for (let r = 0; r < o.rounds; r++) {
    // A/B then B/A: neither URL always runs first (on a warmer or a busier machine).
    const run = (url: string) => cannon({ url, connections: o.connections, duration: o.seconds, headers }).done;
    if (r % 2 === 0) {
      stat.push(await run(`${o.baseUrl}/reference/ping`));
      health.push(await run(`${o.baseUrl}/api/health`));
    } else {
      health.push(await run(`${o.baseUrl}/api/health`));
      stat.push(await run(`${o.baseUrl}/reference/ping`));
    }
    o.step.note(`round ${r + 1}: /reference/ping ${Math.round(stat.at(-1)!.rps)} req/s, /api/health ${Math.round(health.at(-1)!.rps)} req/s`);
  }
  const mean = (list: CannonResult[]) => list.reduce((n, r) => n + r.rps, 0) / list.length;
  const bad = [...health, ...stat].reduce((n, r) => n + r.errors + r.non2xx, 0);
  if (bad) throw new Error(`${bad} failed requests while measuring throughput`);
  const ratios = health.map((h, r) => h.rps / stat[r]!.rps);
  return {
    // The median of the rounds' ratios: a noisy moment spoils at most its own round.
    ratio: round(median(ratios), 3),
    perRound: ratios.map((x) => round(x, 3)),
    healthRps: Math.round(mean(health)),
    staticRps: Math.round(mean(stat)),
    healthP95Ms: round(Math.max(...health.map((r) => r.p95)), 1),
    connections: o.connections,
    secondsPerRound: o.seconds,
    rounds: o.rounds,
  };
}

/** The console's own count of snapshot evaluations (GET /api/metrics). */
async function evaluationsSoFar(baseUrl: string, token: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const m = /^recovery_console_health_evaluations_total (\d+)/m.exec(await res.text());
  if (!m) throw new Error("/api/metrics has no recovery_console_health_evaluations_total");
  return Number(m[1]);
}

/** xact_commit of one database, read from another (so the read itself is not counted). */
async function xactCommit(admin: postgres.Sql, database: string): Promise<number> {
  const [row] = await admin<[{ n: string }]>`select xact_commit::text as n from pg_stat_database where datname = ${database}`;
  return Number(row.n);
}

/**
 * Trading-DB transactions per minute with `pollers` viewers polling /api/health (1,000 in the full
 * run), against 1 poller.
 *
 * The crowd polls at the dashboard's own pace (every refreshSeconds, each from a random moment),
 * each poller on its own keep-alive connection with a viewer's session cookie (bench/lib/viewer-http.ts);
 * one poller (ours, a machine reader's token) always runs and spots each evaluation by its
 * `generatedAt`. The counter is pg_stat_database.xact_commit, read from another database. A
 * backend publishes its counts lazily (one that is busy every few seconds may hold them for a
 * minute), but always when it exits: so each reading is taken halfway between two evaluations,
 * after ending the console's trading-DB sessions (the pool reconnects at the next evaluation, the
 * same way in both runs). The difference between two readings is then exactly the transactions of
 * the evaluations in between, and of anything else the pollers caused.
 */
export async function measureViewers(o: {
  baseUrl: string;
  token: string;
  viewerCookie: string;
  pollers: number;
  admin: postgres.Sql;
  database: string;
  evaluations: number;
  step: Step;
}) {
  const console1 = [{ url: o.baseUrl, token: o.token }];
  const one = await tradingRate({ ...o, instances: console1, viewersEach: 0 });
  o.step.note(`1 poller: ${round(one.perMinute, 1)} transactions/min (${one.transactions} in ${one.seconds} s, ${one.evaluations} evaluations)`);
  const crowd = await tradingRate({ ...o, instances: console1, viewersEach: o.pollers - 1 });
  o.step.note(
    `${o.pollers} pollers: ${round(crowd.perMinute, 1)} transactions/min (${crowd.transactions} in ${crowd.seconds} s, ${crowd.evaluations} evaluations)`,
  );
  return {
    ratio: round(crowd.perMinute / one.perMinute, 3),
    onePoller: { ...one, perMinute: round(one.perMinute, 1) },
    crowdPollers: { ...crowd, perMinute: round(crowd.perMinute, 1) },
    pollers: o.pollers,
    pollIntervalSeconds: "the snapshot's refresh interval (the dashboard's pace)",
  };
}

/**
 * Trading-DB transactions per minute over `evaluations` refresh intervals of the console instances
 * `instances` (one, or several behind a load balancer sharing one console store), each polled by
 * `viewersEach` viewers at the dashboard's pace; the first instance's `generatedAt` paces the
 * readings (see measureViewers for why each is taken halfway between two evaluations). The
 * evaluations are those of every instance, from /api/metrics.
 */
export async function tradingRate(o: {
  instances: { url: string; token: string }[];
  viewersEach: number;
  viewerCookie: string;
  admin: postgres.Sql;
  database: string;
  evaluations: number;
}) {
  const first = o.instances[0]!;
  const published = async () => {
    await o.admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${o.database} and application_name = 'recovery-console'`;
    for (let i = 0; i < 100; i++) {
      const [{ n }] = await o.admin<
        [{ n: number }]
      >`select count(*)::int as n from pg_stat_activity where datname = ${o.database} and application_name = 'recovery-console'`;
      if (n === 0) return xactCommit(o.admin, o.database);
      await sleep(20);
    }
    throw new Error("the console's sessions did not end");
  };
  const evaluations = async () => (await Promise.all(o.instances.map((i) => evaluationsSoFar(i.url, i.token)))).reduce((a, b) => a + b, 0);
  /** The crowd: `n` viewers on each instance polling /api/health every `everyMs`, until stopped. */
  const crowdOf = (n: number, everyMs: number) => {
    let stopped = false;
    const failures: string[] = [];
    let polls = 0;
    const done = Promise.all(
      o.instances.flatMap((instance) =>
        Array.from({ length: n }, async () => {
          const tab = new Tab(instance.url, { cookie: o.viewerCookie });
          try {
            await sleep(Math.random() * everyMs);
            while (!stopped) {
              const next = Date.now() + everyMs;
              try {
                const res = await tab.get("/api/health");
                polls++;
                if (res.status !== 200) failures.push(`HTTP ${res.status}`);
              } catch (err) {
                failures.push(err instanceof Error ? err.message : String(err));
              }
              while (!stopped && Date.now() < next) await sleep(Math.min(250, next - Date.now()));
            }
          } finally {
            tab.close();
          }
        }),
      ),
    );
    return {
      async stop() {
        stopped = true;
        await done;
        if (failures.length) throw new Error(`${failures.length} failed polls (first: ${failures[0]})`);
        return polls;
      },
    };
  };
  let last = await getHealth(first.url, first.token);
  const run = o.viewersEach > 0 ? crowdOf(o.viewersEach, last.refreshSeconds * 1000) : null;
  let ok = false;
  try {
    /** Wait for the next evaluation, then until halfway to the one after. */
    const phase = async () => {
      for (;;) {
        await sleep(250);
        const h = await getHealth(first.url, first.token);
        if (h.generatedAt !== last.generatedAt) {
          last = h;
          break;
        }
      }
      await sleep(Math.max(0, (last.refreshSeconds * 1000) / 2 - (Date.now() - Date.parse(last.generatedAt))));
    };
    await phase();
    const a = await published();
    const ea = await evaluations();
    const t0 = Date.now();
    for (let i = 0; i < o.evaluations; i++) await phase();
    const b = await published();
    const eb = await evaluations();
    const minutes = (Date.now() - t0) / 60_000;
    ok = true;
    return {
      perMinute: (b - a) / minutes,
      transactions: b - a,
      evaluations: eb - ea,
      seconds: round(minutes * 60, 1),
      pollers: o.instances.length * o.viewersEach + 1,
    };
  } finally {
    // A failed poll fails the measure; when the measure itself failed, its error is the one reported.
    if (run) await (ok ? run.stop() : run.stop().catch(() => 0));
  }
}

/**
 * From a committed row change to /api/health showing it, at the default interval: stale pending
 * directives are inserted one at a time at random moments (commit time noted); /api/health is read
 * every 20 ms; the n-th insert is visible when directives_stale_pending reaches base + n.
 */
export async function measureFreshness(o: { baseUrl: string; token: string; writer: postgres.Sql; seconds: number; step: Step }) {
  const [{ base }] = await o.writer<[{ base: number }]>`
    select count(*)::int as base from trade_directives where status = 'pending' and created_at < now() - interval '600 seconds'`;
  const committed: number[] = [];
  const seenAt: number[] = [];
  let refresh = 5;
  let stop = false;
  const watcher = (async () => {
    while (!stop || seenAt.length < committed.length) {
      const h = await getHealth(o.baseUrl, o.token);
      refresh = h.refreshSeconds;
      const v = h.checks.find((c) => c.id === ("directives_stale_pending" satisfies CheckId))?.value;
      const now = performance.now();
      if (typeof v === "number") while (seenAt.length < Math.min(v - base, committed.length)) seenAt.push(now);
      await sleep(20);
    }
  })();
  const until = performance.now() + o.seconds * 1000;
  while (performance.now() < until) {
    await sleep(200 + Math.random() * 1600);
    await o.writer`insert into trade_directives (symbol, status, created_at) values ('EURUSD', 'pending', now() - interval '1 hour')`;
    committed.push(performance.now());
  }
  stop = true;
  await Promise.race([watcher, sleep(refresh * 1000 + 10_000).then(() => Promise.reject(new Error("inserted directives never showed in /api/health")))]);
  const lags = committed.map((t, i) => seenAt[i]! - t);
  return {
    p95Ms: Math.round(p95(lags)),
    p50Ms: Math.round(percentile(lags, 50)),
    maxMs: Math.round(Math.max(...lags)),
    samples: lags.length,
    intervalSeconds: refresh,
    targetMs: refresh * 1000 + 1000,
  };
}
