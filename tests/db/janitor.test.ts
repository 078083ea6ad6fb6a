/**
 * The janitor keeps the console store bounded: expired previews, approvals, old runs, ended
 * sessions and sign-in attempts go; live rows and every audit entry stay. It runs on the incident
 * leader only. A scratch store of its own: the purge must not touch other suites' rows, and the
 * leadership lock is per database.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { IncidentEvaluator } from "@/lib/recovery/incidents/evaluator";
import { runJanitor } from "@/lib/recovery/janitor";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

let scratch: Scratch;
let sql: postgres.Sql;

beforeAll(async () => {
  scratch = await createScratchDb("janitor");
  sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
  await switchConsoleStore(scratch.url);
});

afterAll(async () => {
  await sql.end({ timeout: 2 });
  await switchConsoleStore(undefined);
  await scratch.drop();
});

async function count(table: string, where: string): Promise<number> {
  const [r] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from console.${table} where ${where}`);
  return r!.n;
}

describe("the janitor", () => {
  it("purges what has expired and keeps what is live, and never an audit entry", async () => {
    const user = randomUUID();
    const preview = (label: string, expires: string) =>
      sql.unsafe(
        `insert into console.action_previews (action, actor_id, targets, summary, expires_at) values ('circuit.reset', '${user}', '[]', '"${label}"', ${expires})`,
      );
    await preview("old", "now() - interval '2 hours'");
    await preview("live", "now() + interval '2 minutes'");
    // Expired a moment ago: kept a while (the janitor is not the preview's expiry).
    await preview("just expired", "now() - interval '1 minute'");
    const approval = (state: string, expires: string) =>
      sql.unsafe(`insert into console.action_approvals (action, preview_id, requested_by, requested_by_email, params, target_count, state, expires_at)
        values ('circuit.reset', '${randomUUID()}', '${user}', 'a@example.com', '{}', 1, '${state}', ${expires})`);
    await approval("pending", "now() - interval '2 days'");
    await approval("approved", "now() - interval '3 days'");
    await approval("pending", "now() + interval '5 minutes'");
    const run = (started: string) =>
      sql.unsafe(`insert into console.action_runs (idempotency_key, action, actor_id, params_hash, state, executed, started_at)
        values ('${randomUUID()}', 'circuit.reset', '${user}', 'h', 'done', 1, ${started})`);
    await run("now() - interval '2 days'");
    await run("now() - interval '10 minutes'");
    await sql`insert into console.ended_sessions (sid, user_id, expires_at) values (${randomUUID()}, ${user}, now() - interval '1 minute'), (${randomUUID()}, ${user}, now() + interval '1 hour')`;
    await sql`insert into console.login_attempts (at, account_key, succeeded) values (now() - interval '2 days', 'old@example.com', false), (now() - interval '1 minute', 'new@example.com', false)`;
    await appendAudit({ actor: { id: "system:test", email: "system:test", role: "system" }, action: "test.janitor", outcome: "succeeded" });
    const [{ n: auditBefore }] = await sql<[{ n: number }]>`select count(*)::int as n from console.audit_log`;

    const lines: string[] = [];
    const counts = await runJanitor((l) => lines.push(l));

    expect(counts).toEqual({ previews: 1, approvals: 2, runs: 1, endedSessions: 1, loginAttempts: 1 });
    expect(lines.join("\n")).toMatch(/previews 1, approvals 2, runs 1, endedSessions 1, loginAttempts 1/);
    expect(await sql`select summary from console.action_previews order by summary`).toEqual([{ summary: "just expired" }, { summary: "live" }]);
    expect(await count("action_approvals", "expires_at > now()")).toBe(1);
    expect(await count("action_approvals", "true")).toBe(1);
    expect(await count("action_runs", "true")).toBe(1);
    expect(await count("ended_sessions", "expires_at > now()")).toBe(1);
    expect(await count("ended_sessions", "true")).toBe(1);
    expect(await sql`select account_key from console.login_attempts`).toEqual([{ account_key: "new@example.com" }]);
    const [{ n: auditAfter }] = await sql<[{ n: number }]>`select count(*)::int as n from console.audit_log`;
    expect(auditAfter).toBe(auditBefore);
    // Nothing left to purge.
    expect(await runJanitor(() => {})).toEqual({ previews: 0, approvals: 0, runs: 0, endedSessions: 0, loginAttempts: 0 });
  });

  it("runs on the leader only, once per interval", async () => {
    const clock = { now: Date.now() };
    const calls = { a: 0, b: 0 };
    const make = (who: "a" | "b") =>
      new IncidentEvaluator({
        evaluate: async () => [],
        now: () => clock.now,
        log: () => {},
        janitor: async () => {
          calls[who]++;
        },
        janitorIntervalMs: 60_000,
      });
    const a = make("a");
    const b = make("b");
    try {
      await a.tick([]);
      await b.tick([]);
      expect(a.isLeader).toBe(true);
      expect(b.isLeader).toBe(false);
      expect(calls).toEqual({ a: 1, b: 0 });
      clock.now += 30_000;
      await a.tick([]);
      await b.tick([]);
      expect(calls).toEqual({ a: 1, b: 0 });
      clock.now += 31_000;
      await a.tick([]);
      await b.tick([]);
      expect(calls).toEqual({ a: 2, b: 0 });
      // The leader steps down: the other instance takes over, and the purge with it.
      await a.stop();
      await b.tick([]);
      expect(b.isLeader).toBe(true);
      expect(calls).toEqual({ a: 2, b: 1 });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
