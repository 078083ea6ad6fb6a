import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { signalsRecent } from "@/lib/recovery/health/checks/signals-recent";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let sql: Sql;

beforeAll(async () => {
  sql = connect("trading");
  await withEnv({ SIGNAL_SILENCE_SECONDS: "300" });
});
beforeEach(() => resetTrading(sql));
afterAll(async () => {
  await sql.end();
  await closeStores();
});

/** The runbook's monitoring query, verbatim, as an engineer would run it in psql. */
async function runbookRecentSignals(): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT COUNT(*) FROM signal_outbox WHERE created_at > NOW() - INTERVAL '5 minutes'`;
  return Number(row!.count);
}

describe("signals_recent (runbook scenario 1, query 'Recent signals')", () => {
  it("counts exactly what the runbook query counts, with rows straddling the 5-minute edge", async () => {
    await sql`insert into signal_outbox (created_at) select now() - make_interval(secs => s) from unnest(${[10, 120, 290, 299, 301, 310, 900]}::int[]) s`;
    const reading = await signalsRecent.run(new AbortController().signal);
    expect(reading.value).toBe(await runbookRecentSignals());
    expect(reading.value).toBe(4);
    expect(reading.status).toBe("ok");
    expect(reading.detail.newestAgeSeconds).toBeGreaterThanOrEqual(10);
    expect(reading.detail.newestAgeSeconds).toBeLessThan(15);
  });

  it("is critical when no signal arrived in the window, and says how old the newest is", async () => {
    await sql`insert into signal_outbox (created_at) values (now() - interval '7 minutes')`;
    const reading = await signalsRecent.run(new AbortController().signal);
    expect(await runbookRecentSignals()).toBe(0);
    expect(reading).toMatchObject({ status: "critical", value: 0 });
    expect(reading.summary).toMatch(/No signals in the last 5 min; newest 7 min ago/);
  });

  it("is critical on an empty table, without inventing an age", async () => {
    const reading = await signalsRecent.run(new AbortController().signal);
    expect(reading).toMatchObject({ status: "critical", value: 0, detail: { newestAgeSeconds: null } });
  });

  it("follows SIGNAL_SILENCE_SECONDS", async () => {
    await withEnv({ SIGNAL_SILENCE_SECONDS: "30" });
    await sql`insert into signal_outbox (created_at) values (now() - interval '40 seconds')`;
    expect((await signalsRecent.run(new AbortController().signal)).status).toBe("critical");
    await withEnv({ SIGNAL_SILENCE_SECONDS: "300" });
    expect((await signalsRecent.run(new AbortController().signal)).status).toBe("ok");
  });
});
