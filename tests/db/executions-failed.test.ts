import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { executionsFailed } from "@/lib/recovery/health/checks/executions-failed";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let sql: Sql;
const run = () => executionsFailed.run(new AbortController().signal);

beforeAll(async () => {
  sql = connect("trading");
  await withEnv({ EXECUTIONS_FAILED_CRITICAL: "5" });
});
beforeEach(() => resetTrading(sql));
afterAll(async () => {
  await sql.end();
  await closeStores();
  await withEnv({ EXECUTIONS_FAILED_CRITICAL: undefined });
});

/** The runbook's monitoring query "Failed executions", verbatim. */
async function runbookFailedExecutions() {
  return sql<{ id: string; error: string | null }[]>`SELECT * FROM execution_events WHERE status = 'failed' AND created_at > NOW() - INTERVAL '1 hour'`;
}

async function insert(rows: Array<[status: string, ageSeconds: number, error?: string]>) {
  for (const [status, age, error] of rows) {
    await sql`insert into execution_events (directive_id, status, error, created_at) values (42, ${status}, ${error ?? null}, now() - make_interval(secs => ${age}))`;
  }
}

describe("executions_failed (runbook query 'Failed executions')", () => {
  it("counts the rows of the runbook query, with rows straddling the hour", async () => {
    await insert([
      ["failed", 10, "TRADE_RETCODE_REJECT"],
      ["failed", 3590, "TRADE_RETCODE_NO_MONEY"],
      ["failed", 3610, "TRADE_RETCODE_TIMEOUT"],
      ["filled", 5],
      ["rejected", 20],
    ]);
    const reading = await run();
    const runbook = await runbookFailedExecutions();
    expect(reading.value).toBe(runbook.length);
    expect(reading).toMatchObject({ status: "warn", value: 2 });
    const rows = reading.detail.executions as { id: string; error: string; directiveId: string }[];
    // The same rows as the runbook's, newest first, with the optional columns.
    expect(rows.map((r) => r.id).sort()).toEqual(runbook.map((r) => String(r.id)).sort());
    expect(rows.map((r) => r.error)).toEqual(["TRADE_RETCODE_REJECT", "TRADE_RETCODE_NO_MONEY"]);
    expect(rows[0]!.directiveId).toBe("42");
    expect(reading.summary).toMatch(/^2 failed executions in the last hour; latest 10 s ago \(TRADE_RETCODE_REJECT\)$/);
  });

  it("is ok with none, warn from 1, critical from EXECUTIONS_FAILED_CRITICAL", async () => {
    expect(await run()).toMatchObject({ status: "ok", value: 0 });
    await insert([["failed", 1]]);
    expect(await run()).toMatchObject({ status: "warn", value: 1 });
    await insert([["failed", 2], ["failed", 3], ["failed", 4]]);
    expect(await run()).toMatchObject({ status: "warn", value: 4 });
    await insert([["failed", 5]]);
    expect(await run()).toMatchObject({ status: "critical", value: 5 });
    await withEnv({ EXECUTIONS_FAILED_CRITICAL: "6" });
    expect(await run()).toMatchObject({ status: "warn", value: 5 });
    await withEnv({ EXECUTIONS_FAILED_CRITICAL: "5" });
  });

  it("lists the latest 50 and counts them all", async () => {
    await sql`insert into execution_events (status, created_at) select 'failed', now() - make_interval(secs => s) from generate_series(1, 60) s`;
    const reading = await run();
    expect(reading.value).toBe(60);
    expect((await runbookFailedExecutions()).length).toBe(60);
    const rows = reading.detail.executions as { ageSeconds: number }[];
    expect(rows).toHaveLength(50);
    expect(rows[0]!.ageSeconds).toBeLessThan(rows[49]!.ageSeconds);
  });
});
