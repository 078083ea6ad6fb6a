import "server-only";
/**
 * The janitor's deletes: rows that expire, so the console store stays bounded however long it
 * runs. Never the audit log (append-only, guarded by a trigger), incidents or their history.
 * Each table is purged in batches, so one run never holds many row locks for long.
 */
import { withConsole, type Sql } from "../client.ts";

export type PurgeRetention = {
  /** Previews past their expiry by this long (an approval extends its preview's expiry). */
  previewsSeconds: number;
  /** Approvals past their expiry by this long (the decision stays in the audit log). */
  approvalsSeconds: number;
  /** Runs (idempotency keys, cooldowns, rate limits) started this long ago; at least the longest cooldown. */
  runsSeconds: number;
  /** Sign-in attempts this old (the throttle looks back 15 minutes). */
  loginAttemptsSeconds: number;
};

export type PurgeCounts = { previews: number; approvals: number; runs: number; endedSessions: number; loginAttempts: number };

const BATCH = 5000;

async function purgeBatches(sql: Sql, del: (sql: Sql) => PromiseLike<ArrayLike<unknown>>, maxBatches: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = (await del(sql)).length;
    total += n;
    if (n < BATCH) break;
  }
  return total;
}

/** Delete what has expired; returns how many rows went from each table. */
export async function purgeExpiredRows(r: PurgeRetention, opts: { maxBatches?: number } = {}): Promise<PurgeCounts> {
  const max = opts.maxBatches ?? 20;
  return withConsole(
    async (sql) => ({
      previews: await purgeBatches(
        sql,
        (s) => s`delete from console.action_previews where id in (
          select id from console.action_previews where expires_at < now() - make_interval(secs => ${r.previewsSeconds}) limit ${BATCH}) returning 1`,
        max,
      ),
      approvals: await purgeBatches(
        sql,
        (s) => s`delete from console.action_approvals where id in (
          select id from console.action_approvals where expires_at < now() - make_interval(secs => ${r.approvalsSeconds}) limit ${BATCH}) returning 1`,
        max,
      ),
      runs: await purgeBatches(
        sql,
        (s) => s`delete from console.action_runs where idempotency_key in (
          select idempotency_key from console.action_runs where started_at < now() - make_interval(secs => ${r.runsSeconds}) limit ${BATCH}) returning 1`,
        max,
      ),
      endedSessions: await purgeBatches(
        sql,
        (s) => s`delete from console.ended_sessions where sid in (select sid from console.ended_sessions where expires_at < now() limit ${BATCH}) returning 1`,
        max,
      ),
      loginAttempts: await purgeBatches(
        sql,
        (s) => s`delete from console.login_attempts where id in (
          select id from console.login_attempts where at < now() - make_interval(secs => ${r.loginAttemptsSeconds}) limit ${BATCH}) returning 1`,
        max,
      ),
    }),
    { timeoutMs: 30_000 },
  );
}
