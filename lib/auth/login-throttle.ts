import "server-only";
/**
 * Sign-in throttling: after LOGIN_MAX_FAILURES (5) failures within LOGIN_WINDOW_MINUTES (15),
 * both the account and the client are throttled until the oldest of those failures leaves the
 * window.
 *
 * - The account key is the email as typed (normalized), whether or not such a user exists, so
 *   the throttle itself never tells an attacker which emails are real.
 * - An account's failures count since its last successful sign-in; a client's count regardless
 *   (a valid login of one's own must not wash away guesses at other accounts).
 * - An attempt is recorded (as not yet succeeded) *before* the password is checked, under
 *   advisory locks on both keys, so a burst of parallel guesses cannot all slip under the limit.
 * - Throttled attempts are not recorded as failures: they did not test a password.
 */
import { env } from "../env.ts";
import { withConsole, type Sql } from "../db/client.ts";

export type ThrottlePolicy = { maxFailures: number; windowSeconds: number };

export type ThrottleDecision = { throttled: false } | { throttled: true; scope: "account" | "client"; retryAfterSeconds: number };

export function throttlePolicyFromEnv(): ThrottlePolicy {
  const e = env();
  return { maxFailures: e.LOGIN_MAX_FAILURES, windowSeconds: e.LOGIN_WINDOW_MINUTES * 60 };
}

/**
 * Pure: given the failure times (ms) already in the window for the account and for the client,
 * may another attempt be made at `now` (ms)?
 */
export function throttleDecision(input: { accountFailures: number[]; clientFailures: number[]; now: number; policy: ThrottlePolicy }): ThrottleDecision {
  const { now, policy } = input;
  const windowStart = now - policy.windowSeconds * 1000;
  for (const [scope, times] of [
    ["account", input.accountFailures],
    ["client", input.clientFailures],
  ] as const) {
    const inWindow = times.filter((t) => t > windowStart).sort((a, b) => b - a);
    if (inWindow.length >= policy.maxFailures) {
      // Free again when the failure that completed the limit leaves the window.
      const freeAt = inWindow[policy.maxFailures - 1]! + policy.windowSeconds * 1000;
      return { throttled: true, scope, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
    }
  }
  return { throttled: false };
}

export type AttemptTicket = { id: number } | null;

/**
 * Check the throttle and, unless throttled, record an attempt in progress. Returns the decision
 * and the attempt to settle with finishLoginAttempt.
 */
export async function beginLoginAttempt(input: {
  account: string;
  client: string | null;
  now?: Date;
  policy?: ThrottlePolicy;
}): Promise<{ decision: ThrottleDecision; attempt: AttemptTicket }> {
  const now = input.now ?? new Date();
  const policy = input.policy ?? throttlePolicyFromEnv();
  const since = new Date(now.getTime() - policy.windowSeconds * 1000);
  return withConsole(
    (sql) =>
      sql.begin(async (raw) => {
        const tx = raw as unknown as Sql;
        // Namespaced two-key advisory locks, always account first: no deadlock between sign-ins.
        await tx`select pg_advisory_xact_lock(7301, hashtext(${input.account}))`;
        if (input.client) await tx`select pg_advisory_xact_lock(7302, hashtext(${input.client}))`;
        const account = await tx<{ at: Date }[]>`
          select at from console.login_attempts
          where account_key = ${input.account} and at > ${since} and at <= ${now} and succeeded is not true
            and at > coalesce((select max(at) from console.login_attempts
                               where account_key = ${input.account} and succeeded and at <= ${now}), '-infinity')
          order by at desc limit ${policy.maxFailures}`;
        const client = input.client
          ? await tx<{ at: Date }[]>`
              select at from console.login_attempts
              where client_key = ${input.client} and at > ${since} and at <= ${now} and succeeded is not true
              order by at desc limit ${policy.maxFailures}`
          : [];
        const decision = throttleDecision({
          accountFailures: account.map((r) => r.at.getTime()),
          clientFailures: client.map((r) => r.at.getTime()),
          now: now.getTime(),
          policy,
        });
        if (decision.throttled) return { decision, attempt: null };
        const [row] = await tx<{ id: string }[]>`
          insert into console.login_attempts (at, account_key, client_key) values (${now}, ${input.account}, ${input.client})
          returning id`;
        // Keep the table small: attempts older than a day no longer matter.
        if (Math.random() < 0.02) await tx`delete from console.login_attempts where at < ${new Date(now.getTime() - 86_400_000)}`;
        return { decision, attempt: { id: Number(row!.id) } };
      }) as Promise<{ decision: ThrottleDecision; attempt: AttemptTicket }>,
    { timeoutMs: 5000 },
  );
}

/** Settle an attempt: a success resets the account's count; a failure stays counted. */
export async function finishLoginAttempt(attempt: AttemptTicket, succeeded: boolean): Promise<void> {
  if (!attempt) return;
  await withConsole((sql) => sql`update console.login_attempts set succeeded = ${succeeded} where id = ${attempt.id}`);
}

/** What a throttled user reads: how long to wait, rounded up to whole minutes (never whether the email exists). */
export function throttledMessage(retryAfterSeconds: number | undefined, what = "failed sign-in attempts"): string {
  const minutes = Math.max(1, Math.ceil((retryAfterSeconds ?? throttlePolicyFromEnv().windowSeconds) / 60));
  return `Too many ${what}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}
