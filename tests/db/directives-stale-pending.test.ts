import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { directivesStalePending } from "@/lib/recovery/health/checks/directives-stale-pending";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let sql: Sql;
const run = () => directivesStalePending.run(new AbortController().signal);

beforeAll(async () => {
  sql = connect("trading");
  await withEnv({ STALE_DIRECTIVE_SECONDS: "600" });
});
beforeEach(() => resetTrading(sql));
afterAll(async () => {
  await sql.end();
  await closeStores();
});

/** The runbook's monitoring query "Pending directives", verbatim. */
async function runbookPendingDirectives(): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT COUNT(*) FROM trade_directives WHERE status = 'pending' AND created_at < NOW() - INTERVAL '10 minutes'`;
  return Number(row!.count);
}

async function insert(rows: Array<[status: string, ageSeconds: number, symbol?: string]>) {
  for (const [status, age, symbol] of rows) {
    await sql`insert into trade_directives (status, symbol, created_at) values (${status}, ${symbol ?? null}, now() - make_interval(secs => ${age}))`;
  }
}

describe("directives_stale_pending (runbook scenario 2, query 'Pending directives')", () => {
  it("counts exactly what the runbook query counts, with rows straddling the 10-minute edge", async () => {
    await insert([
      ["pending", 30],
      ["pending", 590],
      ["pending", 610, "EURUSD"],
      ["pending", 3600, "XAUUSD"],
      ["executed", 3600],
      ["failed", 900],
      ["cancelled", 1200],
    ]);
    const reading = await run();
    expect(reading.value).toBe(await runbookPendingDirectives());
    expect(reading).toMatchObject({ status: "critical", value: 2, unit: "directives" });
    const directives = reading.detail.directives as { symbol: string; ageSeconds: number }[];
    // Oldest first, with the optional symbol column.
    expect(directives.map((d) => d.symbol)).toEqual(["XAUUSD", "EURUSD"]);
    expect(directives[0]!.ageSeconds).toBeGreaterThanOrEqual(3600);
    expect(reading.summary).toMatch(/^2 directives pending for more than 10 min; oldest 60 min \(id \d+\)$/);
  });

  it("is ok when nothing pending is older than the threshold", async () => {
    await insert([
      ["pending", 5],
      ["pending", 595],
      ["executed", 4000],
    ]);
    expect(await runbookPendingDirectives()).toBe(0);
    expect(await run()).toMatchObject({ status: "ok", value: 0, summary: "None pending for more than 10 min" });
  });

  it("lists the oldest 20 and counts them all", async () => {
    await sql`insert into trade_directives (status, created_at) select 'pending', now() - make_interval(secs => 700 + s) from generate_series(1, 25) s`;
    const reading = await run();
    expect(reading.value).toBe(25);
    expect(reading.value).toBe(await runbookPendingDirectives());
    const directives = reading.detail.directives as { ageSeconds: number }[];
    expect(directives).toHaveLength(20);
    const ages = directives.map((d) => d.ageSeconds);
    expect([...ages].sort((a, b) => b - a)).toEqual(ages);
    expect(ages[0]).toBeGreaterThanOrEqual(725);
  });

  it("follows STALE_DIRECTIVE_SECONDS", async () => {
    await insert([["pending", 120]]);
    await withEnv({ STALE_DIRECTIVE_SECONDS: "60" });
    expect(await run()).toMatchObject({ status: "critical", value: 1 });
    await withEnv({ STALE_DIRECTIVE_SECONDS: "600" });
    expect(await run()).toMatchObject({ status: "ok", value: 0 });
  });
});
