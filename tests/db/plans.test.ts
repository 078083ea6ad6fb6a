/**
 * Every monitoring read of the trading tables reaches them through an index: EXPLAIN of the SQL
 * the checks run (each check module's `queries`, gathered by monitoringQueries in lib/recovery/health/snapshot.ts), on 100k rows per table shaped like
 * real traffic (tests/support/harness/seed.ts), analyzed, with the planner's defaults (enable_seqscan on). A
 * change that turns one into a Seq Scan fails here, in `npm test`, not only in `npm run bench`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { parseEnv } from "@/lib/env";
import { checks } from "@/lib/recovery/health/checks";
import { monitoringQueries } from "@/lib/recovery/health/snapshot";
import { explainQuery } from "../support/harness/plans";
import { seedTradingTables } from "../support/harness/seed";
import { connect, resetTrading, type Sql } from "../support/db";

let sql: Sql;

beforeAll(async () => {
  sql = connect("trading");
  await seedTradingTables(sql, 100_000);
}, 120_000);

afterAll(async () => {
  await resetTrading(sql);
  await sql.end();
  await closeStores();
});

// The thresholds the console runs with by default (the runbook's windows).
const e = parseEnv({});
const queries = monitoringQueries(e);

describe("monitoring query plans at 100k rows", () => {
  it("runs with the planner's defaults on analyzed tables", async () => {
    const [{ enable_seqscan }] = await sql<[{ enable_seqscan: string }]>`show enable_seqscan`;
    expect(enable_seqscan).toBe("on");
    const counts = await sql<{ relname: string; n: number; analyzed: boolean }[]>`
      select relname, n_live_tup::int as n, (last_analyze is not null or last_autoanalyze is not null) as analyzed
      from pg_stat_user_tables where relname in ('signal_outbox', 'trade_directives', 'execution_events') order by relname`;
    expect(counts.map((c) => c.analyzed)).toEqual([true, true, true]);
    const [{ n }] = await sql<[{ n: number }]>`select count(*)::int as n from signal_outbox`;
    expect(n).toBe(100_000);
  });

  it("covers every check that reads the trading tables", () => {
    const reading = checks.filter((c) => (c.reads as readonly string[]).includes("trading_tables")).map((c) => c.id);
    expect(reading).toEqual(expect.arrayContaining(["signals_recent", "directives_stale_pending", "executions_failed", "ea_heartbeat"]));
    expect(new Set(queries.map((q) => q.check))).toEqual(new Set([...reading, "history"]));
  });

  it.each(queries.map((q) => [q.id, q] as const))("%s reads through an index, with no Seq Scan on a trading table", async (_id, q) => {
    const verdict = await explainQuery(sql, q);
    expect(verdict.seqScans).toEqual([]);
    expect(verdict.indexScans.length).toBeGreaterThan(0);
  });
});
