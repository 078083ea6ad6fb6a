import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { idleTransactions } from "@/lib/recovery/checks/idle-transactions";
import { connect, withEnv, type Sql } from "../support/db";

const IDLE = 2;
let sql: Sql;
let holders: postgres.Sql[] = [];
const run = () => idleTransactions.run(new AbortController().signal);

beforeAll(async () => {
  sql = connect("trading", { max: 1 });
  await withEnv({ IDLE_TX_SECONDS: String(IDLE), IDLE_TX_CRITICAL_COUNT: "2" });
});
afterEach(async () => {
  await Promise.all(holders.map((h) => h.end({ timeout: 1 })));
  holders = [];
});
afterAll(async () => {
  await sql.end();
  await closeStores();
  await withEnv({ IDLE_TX_SECONDS: undefined, IDLE_TX_CRITICAL_COUNT: undefined });
});

/** Open a session from a second client and leave it idle in transaction; its pid. */
async function holdIdleTransaction(application: string, firstStatement = "select 1"): Promise<number> {
  const h = postgres(inject("tradingUrl"), { max: 1, onnotice: () => {}, connection: { application_name: application } });
  holders.push(h);
  const reserved = await h.reserve();
  await reserved`begin`;
  const [{ pid }] = await reserved<[{ pid: number }]>`select pg_backend_pid() as pid`;
  await reserved.unsafe(firstStatement);
  return pid;
}

/** Wait until PostgreSQL itself says the session has been idle in transaction for more than IDLE s. */
async function untilIdleFor(pid: number) {
  await expect
    .poll(
      async () =>
        (await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where pid = ${pid} and state = 'idle in transaction' and state_change < now() - make_interval(secs => ${IDLE})`)[0]!.n,
      { timeout: 10_000, interval: 200 },
    )
    .toBe(1);
}

/** The runbook's predicate (scenario 3, step 2) with the test's interval, counted. */
async function runbookCount(): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query_start < now() - make_interval(secs => ${IDLE})`;
  return Number(row!.count);
}

/** Our refinement of it: idle measured from state_change. */
async function refinedCount(): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND state_change < now() - make_interval(secs => ${IDLE})`;
  return Number(row!.count);
}

describe("idle_transactions (runbook scenario 3, step 2)", () => {
  it("is ok with no session idle in transaction", async () => {
    expect(await run()).toMatchObject({ status: "ok", value: 0, detail: { runbookCount: 0 } });
  });

  it("counts real idle-in-transaction sessions straddling IDLE_TX_SECONDS: warn from 1, critical from IDLE_TX_CRITICAL_COUNT", async () => {
    const old = await holdIdleTransaction("distortsignals-api");
    await untilIdleFor(old);
    const fresh = await holdIdleTransaction("distortsignals-worker");
    const one = await run();
    expect(one.value).toBe(await refinedCount());
    expect(one).toMatchObject({ status: "warn", value: 1, unit: "session" });
    expect(one.detail.runbookCount).toBe(await runbookCount());
    const sessions = one.detail.sessions as { pid: number; application: string; idleSeconds: number; excluded: string | null; query: string }[];
    expect(sessions.map((s) => s.pid)).toEqual([old]);
    expect(sessions[0]).toMatchObject({ application: "distortsignals-api", query: "select 1" });
    expect(sessions[0]!.idleSeconds).toBeGreaterThan(IDLE);
    // The test connects as a superuser; the kill action will not touch it, and the detail says so.
    expect(sessions[0]!.excluded).toBe("superuser");
    expect(one.summary).toMatch(new RegExp(`^1 session idle in transaction for more than ${IDLE} s; oldest \\d+ s \\(pid ${old}, distortsignals-api\\)$`));

    await untilIdleFor(fresh);
    const two = await run();
    expect(two.value).toBe(await refinedCount());
    expect(two).toMatchObject({ status: "critical", value: 2 });
  });

  it("measures idleness from state_change, not query_start, and shows the runbook's count beside it", async () => {
    // A long statement that has just finished: the runbook's query_start predicate already counts
    // it as stale, but it went idle a moment ago.
    const pid = await holdIdleTransaction("distortsignals-api", `select pg_sleep(${IDLE + 1})`);
    const reading = await run();
    expect(await runbookCount()).toBe(1);
    expect(reading).toMatchObject({ status: "ok", value: 0, detail: { runbookCount: 1, measuredFrom: "state_change", runbookMeasuredFrom: "query_start" } });
    await untilIdleFor(pid);
    const later = await run();
    expect(later).toMatchObject({ status: "warn", value: 1, detail: { runbookCount: 1 } });
    const [s] = later.detail.sessions as { querySeconds: number; idleSeconds: number }[];
    expect(s!.querySeconds - s!.idleSeconds).toBeGreaterThan(IDLE);
  });
});
