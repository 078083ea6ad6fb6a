/**
 * Measures that run the console's own modules inside the bench process, against the bench's
 * databases: plans, growth_ratio, floor_ratio and audit_append_p95_ms.
 */
import postgres from "postgres";
import { appendAudit } from "../../lib/recovery/audit/writer.ts";
import { checks } from "../../lib/recovery/health/checks/index.ts";
import { HealthMonitor, monitoringQueries } from "../../lib/recovery/health/snapshot.ts";
import { parseEnv } from "../../lib/env.ts";
import { applyEnv } from "../lib/inproc.ts";
import { startSimsProcess } from "../lib/sims-process.ts";
import { explainQuery, type PlanVerdict } from "../../tests/support/harness/plans.ts";
import type { Step } from "../../tests/support/harness/progress.ts";
import { percentile, p95, round, roundRatios } from "../lib/stats.ts";

/** EXPLAIN of every monitoring read, with the console's default thresholds. */
export async function measurePlans(url: string): Promise<{ all: boolean; queries: PlanVerdict[] }> {
  const e = parseEnv({});
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const queries: PlanVerdict[] = [];
    for (const q of monitoringQueries(e)) {
      queries.push(await explainQuery(sql, q));
    }
    return { all: queries.every((q) => q.ok), queries };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The checks that read a database (the others are HTTP probes only). */
export const DB_CHECKS: string[] = checks.filter((c) => c.reads.some((r) => r !== "http")).map((c) => c.id);

export type GrowthRow = { check: string; smallP95Ms: number; largeP95Ms: number; ratio: number; perRound: number[] };

/**
 * Each DB check (its `run`, as the snapshot calls it, one at a time) on the small and the large
 * database, in rounds: each round measures both sizes back to back (small first in even rounds,
 * large first in odd ones), each on a fresh pool warmed by the same 3 runs, so both sides have the
 * same connection warmth and the same queries. A check's ratio is the median over the rounds of
 * (p95 at the large size ÷ p95 at the small size) in that round: a sub-millisecond query's p95 is
 * dominated by the machine's noise, and one noisy moment spoils at most its own round.
 * `smallP95Ms` and `largeP95Ms` are over all rounds, for reference.
 */
export async function measureGrowth(o: { smallUrl: string; largeUrl: string; env: Record<string, string>; samples: number; rounds: number; step: Step }) {
  const defs = checks.filter((c) => DB_CHECKS.includes(c.id));
  const rounds: Record<"small" | "large", Record<string, number[]>>[] = [];
  const perRound = Math.ceil(o.samples / o.rounds);
  for (let r = 0; r < o.rounds; r++) {
    const times: Record<"small" | "large", Record<string, number[]>> = { small: {}, large: {} };
    for (const size of r % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const)) {
      await applyEnv({ ...o.env, TRADING_DATABASE_URL: size === "small" ? o.smallUrl : o.largeUrl });
      const signal = new AbortController().signal;
      for (let i = 0; i < 3; i++) for (const d of defs) await d.run(signal);
      for (let i = 0; i < perRound; i++) {
        for (const d of defs) {
          const t0 = performance.now();
          const reading = await d.run(signal);
          const ms = performance.now() - t0;
          if (reading.status === "unknown") throw new Error(`check ${d.id} could not read the ${size} database: ${reading.summary}`);
          (times[size][d.id] ??= []).push(ms);
        }
      }
    }
    rounds.push(times);
    o.step.note(`round ${r + 1} of ${o.rounds}: ${perRound} runs of each check at each size`);
  }
  const rows: GrowthRow[] = defs.map((d) => {
    const { ratio, perRound: ratios } = roundRatios(rounds.map((t) => ({ a: t.large[d.id]!, b: t.small[d.id]! })));
    const all = (size: "small" | "large") => rounds.flatMap((t) => t[size][d.id]!);
    return { check: d.id, smallP95Ms: round(p95(all("small")), 3), largeP95Ms: round(p95(all("large")), 3), ratio: round(ratio, 3), perRound: ratios };
  });
  const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return { ratio: worst.ratio, worst: worst.check, rounds: o.rounds, samplesPerRound: perRound, checks: rows };
}

/** The runbook's four monitoring SQL queries, verbatim (runbook/recovery-runbook.md: "Monitoring Queries" and scenario 3, step 1). */
const RUNBOOK_QUERIES = [
  "SELECT COUNT(*) FROM signal_outbox WHERE created_at > NOW() - INTERVAL '5 minutes'",
  "SELECT COUNT(*) FROM trade_directives WHERE status = 'pending' AND created_at < NOW() - INTERVAL '10 minutes'",
  "SELECT * FROM execution_events WHERE status = 'failed' AND created_at > NOW() - INTERVAL '1 hour'",
  "SELECT count(*), state FROM pg_stat_activity GROUP BY state",
];

/**
 * p95 of a full snapshot evaluation (every check, as the console runs them: three pooled
 * connections, each check under its deadline, the HTTP probes included), against p95 of the
 * runbook's four queries run back to back on one warm connection: what an engineer with psql
 * pays for the same answers. Interleaved, so both see the same machine; the figure is the median
 * of the per-round ratios (FLOOR_ROUNDS rounds).
 */
export async function measureFloor(o: { url: string; env: Record<string, string>; samples: number; step: Step }) {
  // The HTTP checks probe simulators in another process, as they would real services.
  const sims = await startSimsProcess();
  try {
    return await floorWith(o, { TRADE_DIRECTOR_URL: sims.directorUrl, WORKER_PROBES: `tick-factory=${sims.workerUrl}/health` });
  } finally {
    await sims.stop();
  }
}

/** floor_ratio's rounds: the samples are split into this many consecutive rounds. */
const FLOOR_ROUNDS = 8;

async function floorWith(o: { url: string; env: Record<string, string>; samples: number }, probes: Record<string, string>) {
  await applyEnv({ ...o.env, ...probes, TRADING_DATABASE_URL: o.url });
  const monitor = new HealthMonitor(checks, { refreshSeconds: 5, checkTimeoutMs: 5500 });
  const direct = postgres(o.url, { max: 1, onnotice: () => {}, connection: { application_name: "bench-psql" } });
  const floor = async () => {
    for (const q of RUNBOOK_QUERIES) await direct.unsafe(q);
  };
  try {
    for (let i = 0; i < 5; i++) {
      await monitor.evaluate();
      await floor();
    }
    const snap: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      let t0 = performance.now();
      const s = await monitor.evaluate();
      snap.push(performance.now() - t0);
      const unknown = s.checks.filter((c) => c.status === "unknown" && c.error);
      if (unknown.length) throw new Error(`the snapshot has failing checks: ${unknown.map((c) => `${c.id} (${c.error?.code})`).join(", ")}`);
      t0 = performance.now();
      await floor();
      base.push(performance.now() - t0);
    }
    // The samples in consecutive rounds (each interleaved as above); the median of the rounds'
    // ratios of p95s, so one noisy moment on the machine spoils at most its own round.
    const size = Math.ceil(o.samples / FLOOR_ROUNDS);
    const rounds = Array.from({ length: Math.ceil(o.samples / size) }, (_, r) => ({
      a: snap.slice(r * size, (r + 1) * size),
      b: base.slice(r * size, (r + 1) * size),
    }));
    const byRound = roundRatios(rounds);
    return {
      ratio: round(byRound.ratio, 3),
      perRound: byRound.perRound,
      overallP95Ratio: round(p95(snap) / p95(base), 3),
      snapshotP95Ms: round(p95(snap), 2),
      snapshotP50Ms: round(percentile(snap, 50), 2),
      runbookQueriesP95Ms: round(p95(base), 2),
      runbookQueriesP50Ms: round(percentile(base, 50), 2),
      samples: o.samples,
    };
  } finally {
    await direct.end({ timeout: 2 });
  }
}

/** An entry of the size a recovery action's intent has (reason, preview, request metadata). */
function entry(w: number, i: number) {
  return {
    actor: { id: `bench-writer-${w}`, email: `writer${w}@bench.example`, role: "oncall" },
    action: "bench.append",
    phase: "intent" as const,
    outcome: "pending" as const,
    reason: "Bench: stale directives after the director outage, runbook scenario 2 step 4",
    incidentRef: "INC-BENCH",
    params: { ids: null },
    detail: {
      preview: {
        id: "00000000-0000-4000-8000-000000000000",
        count: 20,
        targets: { items: Array.from({ length: 20 }, (_, k) => String(1000 + k)), total: 20, truncated: false },
      },
      writer: w,
      i,
    },
    request: { requestId: `bench-${w}-${i}`, ip: "127.0.0.1", userAgent: "npm run bench", path: "/actions" },
  };
}

/**
 * appendAudit with 8 concurrent writers, each appending again as soon as its last entry is
 * committed (a closed loop: the chain lock is always contended). Also the same entry appended
 * alone, for reference.
 */
export async function measureAuditAppend(o: { consoleUrl: string; writers: number; perWriter: number; step: Step }) {
  // One connection per writer: the measure is the append, not a wait for a pooled connection.
  await applyEnv({ CONSOLE_DATABASE_URL: o.consoleUrl, TRADING_DATABASE_URL: o.consoleUrl, CONSOLE_POOL_MAX: String(o.writers) });
  for (let i = 0; i < 50; i++) await appendAudit(entry(0, i));
  const solo: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await appendAudit(entry(0, i));
    solo.push(performance.now() - t0);
  }
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.writers }, async (_, w) => {
      for (let i = 0; i < o.perWriter; i++) {
        const t = performance.now();
        await appendAudit(entry(w, i));
        times.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await applyEnv({ CONSOLE_POOL_MAX: undefined });
  return {
    p95Ms: round(p95(times), 2),
    p50Ms: round(percentile(times, 50), 2),
    p99Ms: round(percentile(times, 99), 2),
    appendsPerSecond: Math.round(times.length / seconds),
    writers: o.writers,
    entries: times.length,
    soloP95Ms: round(p95(solo), 2),
    soloP50Ms: round(percentile(solo, 50), 2),
  };
}
