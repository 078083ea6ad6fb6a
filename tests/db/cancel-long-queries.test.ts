/**
 * Cancel long-running queries (issue 18 point 5; runbook scenario 3, step 2) against real
 * PostgreSQL sessions of another role: one runs pg_sleep (stops at the cancel), one ignores cancels
 * (a DO block that catches query_canceled; its session is terminated after the grace period), and
 * the ones the console must not touch (a superuser's, a query in another database, a short one, an
 * idle session) are left running. Through the whole pipeline (preview, confirm, audit).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { cancelLongQueries, PREVIEW_QUERY_CHARS } from "@/lib/recovery/actions/cancel-long-queries";
import { actionByName } from "@/lib/recovery/actions";
import { AuthzError, type Actor } from "@/lib/recovery/access/authz";
import { confirmAction, previewAction } from "@/lib/recovery/actions/pipeline";
import type { GuardContext, PreviewView } from "@/lib/recovery/actions/types";
import { can } from "@/lib/recovery/access/permissions";
import { connect, withEnv, type Sql } from "../support/db";

let trading: Sql;
let store: Sql;
let admin: Sql;
const role = `rc_longq_${process.pid}`;
const oncall: Actor = { id: randomUUID(), email: "oncall@longq.example.com", role: "oncall", authTime: Math.floor(Date.now() / 1000), via: "session" };

function ctx(a: Actor): GuardContext {
  return {
    request: { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "vitest" },
    async resolveActor(permission) {
      await store`insert into console.users (id, email, role) values (${a.id}, ${a.email}, ${a.role}) on conflict do nothing`;
      if (!can(a.role, permission)) throw new AuthzError(403, "auth.forbidden", "no");
      return a;
    },
  };
}

function appUrl(base: string): string {
  const url = new URL(base);
  url.username = role;
  url.password = "app-password";
  return url.toString();
}

/** A client of its own with one connection, its backend pid, and a query left running on it. */
async function session(url: string, name: string) {
  const c = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: name } });
  const [{ pid }] = await c<[{ pid: number }]>`select pg_backend_pid() as pid`;
  return {
    c,
    pid,
    run: (q: string) =>
      c.unsafe(q).then(
        () => "finished" as const,
        (err: { code?: string }) => err.code ?? "error",
      ),
  };
}

beforeAll(async () => {
  trading = connect("trading");
  store = connect("console");
  admin = connect("admin");
  await admin.unsafe(`drop role if exists ${role}`);
  await admin.unsafe(`create role ${role} login password 'app-password'`);
  for (const u of [inject("tradingUrl"), inject("consoleUrl")]) await admin.unsafe(`grant connect on database ${new URL(u).pathname.slice(1)} to ${role}`);
  await closeStores();
  await withEnv({
    AUTH_SECRET: "test-secret-test-secret-test-secret!!",
    LONG_QUERY_SECONDS: "1",
    LONG_QUERY_GRACE_SECONDS: "2",
    ACTION_COOLDOWN_CANCEL_QUERIES_SECONDS: "0",
    ACTION_RATE_LIMIT_PER_MINUTE: "1000",
    PREVIEW_RATE_LIMIT_PER_MINUTE: "1000",
    RECOVERY_ACTIONS_ENABLED: "1",
  });
});

afterAll(async () => {
  await trading.end();
  await store.end();
  await admin.unsafe(`drop owned by ${role}`).catch(() => {});
  await admin.unsafe(`drop role if exists ${role}`).catch(() => {});
  await admin.end();
  await closeStores();
  await withEnv({ LONG_QUERY_SECONDS: undefined, LONG_QUERY_GRACE_SECONDS: undefined, ACTION_COOLDOWN_CANCEL_QUERIES_SECONDS: undefined });
});

describe("cancel long-running queries", () => {
  it("is registered, on the database connections panel", () => {
    expect(actionByName("queries.cancel_long")).toBe(cancelLongQueries);
    expect(cancelLongQueries.checkId).toBe("db_connections");
  });

  it("cancels a long query, terminates the session of one that ignores the cancel, and leaves the excluded ones running", async () => {
    const comment = `/* ${"x".repeat(400)} */`;
    const sleeper = await session(appUrl(inject("tradingUrl")), "distortsignals-report");
    const stubborn = await session(appUrl(inject("tradingUrl")), "distortsignals-batch");
    const dba = await session(inject("tradingUrl"), "dba-psql");
    const elsewhere = await session(appUrl(inject("consoleUrl")), "other-database");
    const idle = await session(appUrl(inject("tradingUrl")), "idle-app");
    const sleeping = sleeper.run(`select pg_sleep(60) ${comment}`);
    const stubbornRun = stubborn.run(`do $$ begin loop begin perform pg_sleep(60); exception when query_canceled then null; end; end loop; end $$`);
    const dbaRun = dba.run("select pg_sleep(60)");
    const elsewhereRun = elsewhere.run("select pg_sleep(60)");
    try {
      let p: PreviewView | undefined;
      await expect
        .poll(
          async () => {
            const r = await previewAction(cancelLongQueries, {}, ctx(oncall));
            expect(r, r.message).toMatchObject({ ok: true });
            p = r.result!;
            return p.rows.map((row) => row.pid).sort();
          },
          { timeout: 10_000, interval: 250 },
        )
        .toEqual([sleeper.pid, stubborn.pid].sort());
      // Previewed with its SQL text, bounded.
      const row = p!.rows.find((r) => r.pid === sleeper.pid)!;
      expect(row.query).toMatch(/^select pg_sleep\(60\) \/\* x+/);
      expect(String(row.query).length).toBeLessThanOrEqual(PREVIEW_QUERY_CHARS + 1);
      // The superuser's query is shown as excluded with its reason; the other database's, the idle
      // session and the console's own are not listed at all.
      expect(p!.excluded).toEqual(expect.arrayContaining([{ target: String(dba.pid), reason: expect.stringMatching(/superuser/) }]));
      const listed = [...p!.rows.map((r) => r.pid), ...p!.excluded.map((e) => Number(e.target))];
      expect(listed).not.toContain(elsewhere.pid);
      expect(listed).not.toContain(idle.pid);

      const state = await confirmAction(
        cancelLongQueries,
        { previewToken: p!.token, reason: "Pool exhausted by runaway report queries", confirmation: String(p!.count), idempotencyKey: randomUUID() },
        ctx(oncall),
      );
      expect(state, state.message).toMatchObject({ ok: true, result: { outcome: "succeeded" } });
      expect(Object.fromEntries(state.result!.perTarget.map((t) => [t.target, t.outcome]))).toEqual({
        [sleeper.pid]: "cancelled",
        [stubborn.pid]: "terminated",
      });
      // The cancel stopped the query and kept the session; the terminate ended the other session.
      expect(await sleeping).toBe("57014");
      expect(await sleeper.c`select 1 as ok`).toEqual([{ ok: 1 }]);
      expect(await stubbornRun).not.toBe("finished");
      await expect.poll(async () => (await trading`select 1 from pg_stat_activity where pid = ${stubborn.pid}`).length, { timeout: 5000 }).toBe(0);
      // The excluded queries still run.
      const still = await trading<{ pid: number }[]>`select pid from pg_stat_activity where pid = any(${[dba.pid, elsewhere.pid]}::int[]) and state = 'active'`;
      expect(still.map((r) => r.pid).sort()).toEqual([dba.pid, elsewhere.pid].sort());
      // Audited: intent before, outcome after, with the per-pid result.
      const audit = await store<{ phase: string; outcome: string; detail: { perTarget?: unknown } | null }[]>`
        select phase, outcome, detail from console.audit_log where action = 'queries.cancel_long' and actor_email = ${oncall.email} order by seq`;
      expect(audit.map((a) => [a.phase, a.outcome])).toEqual(
        expect.arrayContaining([
          ["intent", "pending"],
          ["outcome", "succeeded"],
        ]),
      );
    } finally {
      await admin`select pg_cancel_backend(pid) from pg_stat_activity where pid = any(${[dba.pid, elsewhere.pid, sleeper.pid]}::int[])`;
      await Promise.allSettled([dbaRun, elsewhereRun]);
      for (const s of [sleeper, stubborn, dba, elsewhere, idle]) await s.c.end({ timeout: 1 }).catch(() => {});
    }
  });

  it("does not touch a query that ended, or a pid now running another query, between preview and confirm", async () => {
    const s = await session(appUrl(inject("tradingUrl")), "distortsignals-report");
    const first = s.run("select pg_sleep(60)");
    try {
      await expect
        .poll(
          async () =>
            (await trading`select 1 from pg_stat_activity where pid = ${s.pid} and state = 'active' and query_start < now() - interval '1 second'`).length,
          { timeout: 10_000 },
        )
        .toBe(1);
      const [t] = await trading<[{ b: string; q: string }]>`
        select (extract(epoch from backend_start) * 1000000)::bigint::text as b, (extract(epoch from query_start) * 1000000)::bigint::text as q from pg_stat_activity where pid = ${s.pid}`;
      // The same session, another query start (the one previewed has ended and a new one runs).
      const other = await cancelLongQueries.execute([{ pid: s.pid, backendStartUs: t.b, queryStartUs: String(BigInt(t.q) - 1n) }], {
        params: {},
        idempotencyKey: randomUUID(),
        requestId: randomUUID(),
      });
      expect(other.perTarget).toEqual([{ target: String(s.pid), outcome: "gone", detail: expect.any(String) }]);
      expect(await trading`select 1 from pg_stat_activity where pid = ${s.pid} and state = 'active'`).toHaveLength(1);
    } finally {
      await admin`select pg_cancel_backend(${s.pid})`;
      await first;
      await s.c.end({ timeout: 1 }).catch(() => {});
    }
  });
});
