import "server-only";
/**
 * Sign-in throttling. Three counters of failed attempts, kept in console.login_attempts so that
 * they hold across instances, each answering a different attack:
 *
 * 1. Per account and client (guessing one account from one client): a progressive delay. After
 *    PAIR_FREE_FAILURES (3) failures, the next try must wait 15 s, then 30 s, 60 s… doubling up
 *    to the window (LOGIN_WINDOW_MINUTES, 15). A success from that client resets it.
 * 2. Per client, across accounts (spraying from one address): LOGIN_MAX_FAILURES (10) failures
 *    in the window refuse that client until the oldest of them leaves the window.
 * 3. Per account, across clients (a distributed attack on one account): from LOGIN_MAX_FAILURES
 *    failures on, each sign-in to that account is *slowed* (a pause before the password is
 *    checked, 0.25 s doubling up to ACCOUNT_SLOWDOWN_MAX_MS), never refused. So while their
 *    account is under attack, the on-call still signs in from their own client, a little slower;
 *    a lockout would hand the attacker the power to keep them out during an incident.
 *
 * - The account key is the email as typed (normalized), whether or not such a user exists, so
 *   the throttle itself never tells an attacker which emails are real.
 * - The client key is the address decided at the entry point (lib/auth/client-address.ts): by
 *   default the socket's peer, so rotating X-Forwarded-For does not make a new client.
 * - An account's failures count since its last successful sign-in, a pair's since the pair's
 *   last success; a client's count regardless (a valid login of one's own must not wash away
 *   guesses at other accounts).
 * - An attempt is recorded (as not yet succeeded) *before* the password is checked, under
 *   advisory locks on both keys, so a burst of parallel guesses cannot all slip under a limit.
 * - Throttled attempts are not recorded as failures: they did not test a password.
 */
import { env } from "../env.ts";
import { withConsole, type Sql } from "../db/client.ts";

export type ThrottlePolicy = { maxFailures: number; windowSeconds: number };

/** Failures of one account from one client before the progressive delay starts. */
export const PAIR_FREE_FAILURES = 3;
/** The first delay of a pair, doubled at each further failure (capped at the window). */
export const PAIR_BASE_DELAY_SECONDS = 15;
/** The slow-down of an account under attack: first pause, and its cap. */
export const ACCOUNT_SLOWDOWN_BASE_MS = 250;
export const ACCOUNT_SLOWDOWN_MAX_MS = 4000;

export type ThrottleScope = "account_client" | "client";

export type ThrottleDecision =
  | { throttled: false; /** Pause this long before checking the password (account under attack). */ delayMs: number }
  | { throttled: true; scope: ThrottleScope; retryAfterSeconds: number };

export function throttlePolicyFromEnv(): ThrottlePolicy {
  const e = env();
  return { maxFailures: e.LOGIN_MAX_FAILURES, windowSeconds: e.LOGIN_WINDOW_MINUTES * 60 };
}

/** Seconds a pair must wait after its n-th failure: 0 for the first few, then doubling to the cap. */
export function pairDelaySeconds(failures: number, policy: ThrottlePolicy): number {
  if (failures < PAIR_FREE_FAILURES) return 0;
  return Math.min(policy.windowSeconds, PAIR_BASE_DELAY_SECONDS * 2 ** (failures - PAIR_FREE_FAILURES));
}

/** The pause before checking a password for an account with this many recent failures. */
export function accountSlowdownMs(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.maxFailures) return 0;
  return Math.min(ACCOUNT_SLOWDOWN_MAX_MS, ACCOUNT_SLOWDOWN_BASE_MS * 2 ** Math.min(16, failures - policy.maxFailures));
}

/**
 * Pure: given the failure times (ms) counted for the account (all clients), for this account from
 * this client, and for this client (all accounts), may another attempt be made at `now` (ms)?
 */
export function throttleDecision(input: {
  accountFailures: number[];
  pairFailures: number[];
  clientFailures: number[];
  now: number;
  policy: ThrottlePolicy;
}): ThrottleDecision {
  const { now, policy } = input;
  const windowStart = now - policy.windowSeconds * 1000;
  const recent = (times: number[]) => times.filter((t) => t > windowStart && t <= now).sort((a, b) => b - a);

  const client = recent(input.clientFailures);
  if (client.length >= policy.maxFailures) {
    // Free again when the failure that completed the limit leaves the window.
    const freeAt = client[policy.maxFailures - 1]! + policy.windowSeconds * 1000;
    return { throttled: true, scope: "client", retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }
  const pair = recent(input.pairFailures);
  const wait = pairDelaySeconds(pair.length, policy);
  if (wait > 0 && pair[0]! + wait * 1000 > now) {
    return { throttled: true, scope: "account_client", retryAfterSeconds: Math.max(1, Math.ceil((pair[0]! + wait * 1000 - now) / 1000)) };
  }
  return { throttled: false, delayMs: accountSlowdownMs(recent(input.accountFailures).length, policy) };
}

export type AttemptTicket = { id: number } | null;

/**
 * Check the throttle and, unless throttled, record an attempt in progress. Returns the decision
 * and the attempt to settle with finishLoginAttempt (or cancelLoginAttempt).
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
  // How many failures any decision can need: the cap is reached well before this.
  const enough = Math.max(policy.maxFailures, 64);
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
          order by at desc limit ${enough}`;
        // The pair's failures since the pair's own last success.
        const [pairSuccess] = await tx<{ at: Date | null }[]>`
          select max(at) as at from console.login_attempts
          where account_key = ${input.account} and client_key is not distinct from ${input.client} and succeeded and at <= ${now}`;
        const pair = await tx<{ at: Date }[]>`
          select at from console.login_attempts
          where account_key = ${input.account} and client_key is not distinct from ${input.client}
            and at > ${since} and at <= ${now} and succeeded is not true and at > ${pairSuccess?.at ?? new Date(0)}
          order by at desc limit ${enough}`;
        const client = input.client
          ? await tx<{ at: Date }[]>`
              select at from console.login_attempts
              where client_key = ${input.client} and at > ${since} and at <= ${now} and succeeded is not true
              order by at desc limit ${policy.maxFailures}`
          : [];
        const decision = throttleDecision({
          accountFailures: account.map((r) => r.at.getTime()),
          pairFailures: pair.map((r) => r.at.getTime()),
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

/** Settle an attempt: a success resets the account's and the pair's count; a failure stays counted. */
export async function finishLoginAttempt(attempt: AttemptTicket, succeeded: boolean): Promise<void> {
  if (!attempt) return;
  await withConsole((sql) => sql`update console.login_attempts set succeeded = ${succeeded} where id = ${attempt.id}`);
}

/** Forget an attempt that tested no password (the server was too busy to check it). */
export async function cancelLoginAttempt(attempt: AttemptTicket): Promise<void> {
  if (!attempt) return;
  await withConsole((sql) => sql`delete from console.login_attempts where id = ${attempt.id}`);
}

/** The account-wide slow-down, awaited before the password is checked. */
export function slowDown(decision: ThrottleDecision): Promise<void> {
  const ms = decision.throttled ? 0 : decision.delayMs;
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** A wait for people: seconds under a minute, else whole minutes rounded up. */
export function humanWait(seconds: number): string {
  if (seconds < 60) {
    const s = Math.max(1, Math.ceil(seconds));
    return `${s} second${s === 1 ? "" : "s"}`;
  }
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** What a throttled user reads: how long to wait (never whether the email exists). */
export function throttledMessage(retryAfterSeconds: number | undefined, what = "failed sign-in attempts"): string {
  return `Too many ${what}. Try again in ${humanWait(retryAfterSeconds ?? throttlePolicyFromEnv().windowSeconds)}.`;
}
