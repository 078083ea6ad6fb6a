import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { dbConnections } from "@/lib/recovery/health/checks/db-connections";
import type { CheckReading } from "@/lib/recovery/health/checks/types";
import { connect, withEnv, type Sql } from "../support/db";

let sql: Sql;
const extra: postgres.Sql[] = [];
const run = () => dbConnections.run(new AbortController().signal);

beforeAll(async () => {
  sql = connect("trading", { max: 1 });
  await withEnv({ DB_CONNECTIONS_WARN_PERCENT: undefined, DB_CONNECTIONS_CRITICAL_PERCENT: undefined });
});
afterAll(async () => {
  await Promise.all(extra.map((e) => e.end()));
  await sql.end();
  await closeStores();
  await withEnv({ DB_CONNECTIONS_WARN_PERCENT: undefined, DB_CONNECTIONS_CRITICAL_PERCENT: undefined });
});

type Row = { state: string | null; count: number };

/** The runbook's query, scenario 3 step 1, verbatim. */
async function runbookByState(): Promise<Row[]> {
  const rows = await sql<{ count: string; state: string | null }[]>`SELECT count(*), state FROM pg_stat_activity GROUP BY state`;
  return rows.map((r) => ({ state: r.state, count: Number(r.count) })).sort((a, b) => String(a.state).localeCompare(String(b.state)));
}

/**
 * The check and the runbook query "at the same moment": the reading is taken between two runbook
 * reads that agree (a background worker starting or stopping in between is not our difference).
 */
async function readAtStableMoment(): Promise<{ reading: CheckReading; runbook: Row[] }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await runbookByState();
    const reading = await run();
    const after = await runbookByState();
    if (JSON.stringify(before) === JSON.stringify(after)) return { reading, runbook: before };
  }
  throw new Error("pg_stat_activity never held still");
}

/** Open `n` more real sessions from another client. */
async function openSessions(n: number) {
  for (let i = 0; i < n; i++) {
    const s = postgres(inject("tradingUrl"), { max: 1, onnotice: () => {}, connection: { application_name: "distortsignals-api" } });
    await s`select 1`;
    extra.push(s);
  }
}

describe("db_connections (runbook scenario 3, step 1)", () => {
  it("equals the runbook's SELECT count(*), state FROM pg_stat_activity GROUP BY state", async () => {
    await run(); // warm the console's pool so the reading opens no new connection
    const { reading, runbook } = await readAtStableMoment();
    const total = runbook.reduce((n, r) => n + r.count, 0);
    expect(reading.value).toBe(total);
    const byState = (reading.detail.byState as Row[])
      .map((r) => ({ state: r.state, count: r.count }))
      .sort((a, b) => String(a.state).localeCompare(String(b.state)));
    expect(byState).toEqual(runbook);
    const [max] = await sql<{ max_connections: string }[]>`SHOW max_connections`;
    expect(reading.detail.maxConnections).toBe(Number(max!.max_connections));
    expect(reading.detail.seesAllSessions).toBe(true);
  });

  it("turns warn at 80 % and critical at 90 % of max_connections as real sessions open", async () => {
    await run();
    const { reading } = await readAtStableMoment();
    const max = reading.detail.maxConnections as number;
    const total = reading.value as number;
    // Thresholds placed just above today's usage, in the same percent terms, then crossed with real sessions.
    const pct = (n: number) => (n / max) * 100;
    const warnAt = Math.ceil(pct(total + 2));
    const criticalAt = Math.ceil(pct(total + 4));
    await withEnv({ DB_CONNECTIONS_WARN_PERCENT: String(warnAt), DB_CONNECTIONS_CRITICAL_PERCENT: String(criticalAt) });
    const expected = (n: number) => (pct(n) >= criticalAt ? "critical" : pct(n) >= warnAt ? "warn" : "ok");

    for (const open of [0, 2, 2]) {
      await openSessions(open);
      const { reading: r, runbook } = await readAtStableMoment();
      const runbookTotal = runbook.reduce((n, row) => n + row.count, 0);
      expect(r.value).toBe(runbookTotal);
      expect(r.status).toBe(expected(runbookTotal));
    }
    expect((await readAtStableMoment()).reading.status).toBe("critical");
    expect(reading.threshold).toMatch(/^warn from 80 %, critical from 90 % of max_connections, or when the \d+ slots open to applications are all taken$/);
    const d = reading.detail as { maxConnections: number; superuserReserved: number; reservedConnections: number; openToApplications: number };
    expect(d.openToApplications).toBe(d.maxConnections - d.superuserReserved - d.reservedConnections);
  });
});
