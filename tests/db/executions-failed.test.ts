import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { executionsFailed } from "@/lib/recovery/health/checks/executions-failed";
import { buildStatus } from "@/lib/recovery/health/status";
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
    await insert([
      ["failed", 2],
      ["failed", 3],
      ["failed", 4],
    ]);
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

describe("a healthy world is green (issue 18 point 7)", () => {
  afterAll(() => withEnv({ EXECUTIONS_FAILED_WARN: undefined, EXECUTIONS_FAILED_CRITICAL: "5" }));

  /** The status page's execution area and headline, built from this check's real reading. */
  async function statusFrom() {
    const reading = await run();
    const now = new Date().toISOString();
    const snapshot = {
      generatedAt: now,
      refreshSeconds: 5,
      checks: [
        {
          id: "executions_failed",
          title: "Failed executions",
          scenario: null,
          observedAt: now,
          durationMs: 1,
          ...reading,
          detail: reading.detail as Record<string, unknown>,
        },
      ],
    };
    const dto = buildStatus(snapshot, { checks: [executionsFailed] });
    return { reading, area: dto.areas.find((a) => a.id === "execution")!, overall: dto.overall };
  }

  it("reads the broker's normal rejects as ok below EXECUTIONS_FAILED_WARN, and the status page says operating normally", async () => {
    await withEnv({ EXECUTIONS_FAILED_WARN: "150", EXECUTIONS_FAILED_CRITICAL: "200" });
    // The demo's normal hour: about 5 % of 1800 executions rejected.
    await sql`insert into execution_events (status, error, created_at) select 'failed', 'TRADE_RETCODE_REJECT', now() - make_interval(secs => s * 30) from generate_series(1, 90) s`;
    const { reading, area, overall } = await statusFrom();
    expect(reading).toMatchObject({ status: "ok", value: 90, threshold: "warn from 150, critical from 200 in the last hour" });
    expect(area).toMatchObject({ level: "operational", summary: "Orders are reaching the broker" });
    expect(overall).toMatchObject({ level: "operational", headline: "Trading systems: operating normally" });
  });

  it("says orders are rejected, not delayed, when failures pass the warning", async () => {
    await withEnv({ EXECUTIONS_FAILED_WARN: "3", EXECUTIONS_FAILED_CRITICAL: "200" });
    await insert([
      ["failed", 1, "TRADE_RETCODE_REJECT"],
      ["failed", 2],
      ["failed", 3],
    ]);
    const { reading, area, overall } = await statusFrom();
    expect(reading.status).toBe("warn");
    expect(area).toMatchObject({ level: "degraded", summary: "Some orders rejected by the broker" });
    expect(overall.headline).toBe("Degraded: some orders rejected by the broker");
    expect(JSON.stringify(area)).not.toMatch(/delayed/);
  });

  it("refuses a critical level below the warning", async () => {
    const { parseEnv } = await import("@/lib/env");
    expect(() => parseEnv({ EXECUTIONS_FAILED_WARN: "10", EXECUTIONS_FAILED_CRITICAL: "5" })).toThrow(
      /EXECUTIONS_FAILED_CRITICAL: must be at least EXECUTIONS_FAILED_WARN/,
    );
  });
});
