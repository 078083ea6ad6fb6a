import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { randomUUID } from "node:crypto";
import { closeStores } from "@/lib/db/client";
import { killIdleTransactions } from "@/lib/recovery/actions/kill-idle-transactions";
import { idleTransactions } from "@/lib/recovery/health/checks/idle-transactions";
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
        (
          await sql<
            { n: number }[]
          >`select count(*)::int as n from pg_stat_activity where pid = ${pid} and state = 'idle in transaction' and state_change < now() - make_interval(secs => ${IDLE})`
        )[0]!.n,
      { timeout: 10_000, interval: 200 },
    )
    .toBe(1);
}

/** The runbook's predicate (scenario 3, step 2) with the test's interval, counted. */
async function runbookCount(): Promise<number> {
  const [row] = await sql<
    { count: string }[]
  >`SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database() AND query_start < now() - make_interval(secs => ${IDLE})`;
  return Number(row!.count);
}

/** Our refinement of it: idle measured from state_change. */
async function refinedCount(): Promise<number> {
  const [row] = await sql<
    { count: string }[]
  >`SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database() AND state_change < now() - make_interval(secs => ${IDLE})`;
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

/**
 * Issue 12, point 3: the kill's blast radius. The console connects as a role of its own (with
 * pg_read_all_stats and pg_signal_backend, as docs/recovery-actions.md asks, not a superuser); the applications as
 * another. The preview and the kill stay in the trading database, a client cannot make itself
 * unkillable by calling itself `recovery-console…`, and the console's own role is never touched.
 */
describe("kill idle transactions: blast radius", () => {
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const consoleRole = `rc_console_${tag}`;
  const appRole = `rc_app_${tag}`;
  const otherDb = `rc_test_other_${tag}`;
  const tradingDb = new URL(inject("tradingUrl")).pathname.slice(1);
  let admin: Sql;
  const urlAs = (role: string, db = tradingDb) => {
    const u = new URL(inject("tradingUrl"));
    u.username = role;
    u.password = "blast-radius-password";
    u.pathname = `/${db}`;
    return u.toString();
  };
  /** A session as `role` in `db`, left idle in transaction; its pid and backend_start as the action binds them. */
  async function hold(role: string, application: string, db = tradingDb) {
    const h = postgres(urlAs(role, db), { max: 1, onnotice: () => {}, connection: { application_name: application } });
    holders.push(h);
    const reserved = await h.reserve();
    await reserved`begin`;
    const [{ pid }] = await reserved<[{ pid: number }]>`select pg_backend_pid() as pid`;
    const [{ us }] = await admin<
      [{ us: string }]
    >`select (extract(epoch from backend_start) * 1000000)::bigint::text as us from pg_stat_activity where pid = ${pid}`;
    return { pid, backendStartUs: us };
  }
  const alive = async (pids: number[]) =>
    (await admin<{ pid: number }[]>`select pid from pg_stat_activity where pid = any(${pids}::int[])`).map((r) => r.pid).sort();

  beforeAll(async () => {
    admin = connect("admin", { max: 1 });
    for (const role of [consoleRole, appRole]) await admin.unsafe(`create role ${role} login password 'blast-radius-password'`);
    await admin.unsafe(`grant pg_read_all_stats, pg_signal_backend to ${consoleRole}`);
    await admin.unsafe(`create database ${otherDb}`);
    // The console's trading pool now connects as its own, ordinary role.
    await closeStores();
    await withEnv({ TRADING_DATABASE_URL: urlAs(consoleRole) });
  });
  afterAll(async () => {
    await closeStores();
    await withEnv({ TRADING_DATABASE_URL: inject("tradingUrl") });
    await admin.unsafe(`drop database if exists ${otherDb} with (force)`);
    for (const role of [consoleRole, appRole]) {
      await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`);
      await admin.unsafe(`drop role if exists ${role}`);
    }
    await admin.end();
  });

  it("kills a session that calls itself recovery-console…; leaves other databases and the console's own role alone", async () => {
    const app = await hold(appRole, "distortsignals-api");
    const mimic = await hold(appRole, "recovery-console-x");
    const ownRole = await hold(consoleRole, "psql");
    const elsewhere = await hold(appRole, "distortsignals-api", otherDb);
    // All four idle long enough: whatever is left out is left out for its scope, not its age.
    for (const s of [app, mimic, ownRole, elsewhere]) await untilIdleFor(s.pid);

    // The preview: the trading database's sessions only, and it says which database.
    const preview = await killIdleTransactions.preview({});
    expect(preview.targets.map((t) => t.pid).sort()).toEqual([app.pid, mimic.pid].sort());
    expect(preview.rows.map((r) => [r.pid, r.database]).sort()).toEqual(
      [
        [app.pid, tradingDb],
        [mimic.pid, tradingDb],
      ].sort(),
    );
    expect(preview.columns).toContainEqual({ key: "database", label: "Database" });
    expect(preview.excluded).toEqual([{ target: String(ownRole.pid), reason: expect.stringMatching(/console's own/) }]);
    expect(JSON.stringify(preview)).not.toContain(String(elsewhere.pid));
    // The check reads the same scope.
    const reading = await run();
    expect((reading.detail.sessions as { pid: number; database: string }[]).map((s) => s.pid).sort()).toEqual([app.pid, mimic.pid, ownRole.pid].sort());

    // The kill re-checks the scope itself: a target list naming the other database's session or the
    // console's own role (a forged or stale preview) terminates neither.
    const forged = await killIdleTransactions.execute([elsewhere, ownRole], { params: {}, idempotencyKey: randomUUID(), requestId: randomUUID() });
    expect(forged.perTarget.map((t) => t.outcome)).toEqual(["gone", "gone"]);
    expect(await alive([elsewhere.pid, ownRole.pid])).toEqual([elsewhere.pid, ownRole.pid].sort());

    const result = await killIdleTransactions.execute(preview.targets, { params: {}, idempotencyKey: randomUUID(), requestId: randomUUID() });
    expect(Object.fromEntries(result.perTarget.map((t) => [t.target, t.outcome]))).toEqual({ [app.pid]: "terminated", [mimic.pid]: "terminated" });
    await expect.poll(() => alive([app.pid, mimic.pid, ownRole.pid, elsewhere.pid]), { timeout: 5000 }).toEqual([ownRole.pid, elsewhere.pid].sort());
  });
});
