/**
 * Sign-in throttling against the real console store, with an injected clock: a progressive delay
 * per account and client, a limit per client, and a slow-down (never a lockout) per account.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { beginLoginAttempt, cancelLoginAttempt, finishLoginAttempt } from "@/lib/auth/login-throttle";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const policy = { maxFailures: 10, windowSeconds: 15 * 60 };
const T0 = Date.parse("2026-11-27T12:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);

async function fail(account: string, client: string | null, now: Date) {
  const { decision, attempt } = await beginLoginAttempt({ account, client, now, policy });
  if (!decision.throttled) await finishLoginAttempt(attempt, false);
  return decision;
}
async function succeed(account: string, client: string | null, now: Date) {
  const { decision, attempt } = await beginLoginAttempt({ account, client, now, policy });
  if (!decision.throttled) await finishLoginAttempt(attempt, true);
  return decision;
}

beforeAll(() => {
  sql = connect("console");
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("sign-in throttle", () => {
  it("delays an account from one client progressively after three failures, and forgets it on success", async () => {
    const account = "typo@example.com";
    const client = "192.0.2.10";
    for (let i = 0; i < 3; i++) expect(await fail(account, client, at(i))).toEqual({ throttled: false, delayMs: 0 });
    // The third failure (t=2) asks for 15 s.
    expect(await fail(account, client, at(3))).toEqual({ throttled: true, scope: "account_client", retryAfterSeconds: 14 });
    expect(await fail(account, client, at(17.5))).toMatchObject({ throttled: false });
    // The fourth failure (t=17.5) asks for 30 s.
    expect(await fail(account, client, at(40))).toMatchObject({ throttled: true, scope: "account_client", retryAfterSeconds: 8 });
    // Another client is not delayed for this account.
    expect(await fail(account, "192.0.2.11", at(40))).toMatchObject({ throttled: false });
    expect(await succeed(account, client, at(48))).toMatchObject({ throttled: false });
    expect(await fail(account, client, at(49))).toMatchObject({ throttled: false });
  });

  it("throttles the same way whether or not the account exists (the key is the email as typed)", async () => {
    for (let i = 0; i < 3; i++) await fail("no-such-user@example.com", "198.51.100.1", at(i));
    expect(await fail("no-such-user@example.com", "198.51.100.1", at(4))).toMatchObject({ throttled: true, scope: "account_client" });
  });

  it("refuses a client guessing across many accounts, and only that client", async () => {
    const client = "203.0.113.66";
    for (let i = 0; i < 10; i++) expect(await fail(`spray-${i}@example.com`, client, at(i))).toMatchObject({ throttled: false });
    expect(await fail("spray-10@example.com", client, at(10))).toMatchObject({ throttled: true, scope: "client" });
    expect(await fail("spray-10@example.com", "203.0.113.67", at(10))).toMatchObject({ throttled: false });
  });

  it("never locks an account attacked from many clients: the owner signs in from their own client, slowed", async () => {
    const account = "oncall@example.com";
    for (let i = 0; i < 30; i++) expect(await fail(account, `10.66.0.${i}`, at(i))).toMatchObject({ throttled: false });
    const owner = await beginLoginAttempt({ account, client: "192.0.2.77", now: at(31), policy });
    expect(owner.decision).toEqual({ throttled: false, delayMs: 4000 });
    await finishLoginAttempt(owner.attempt, true);
    // The success resets the account's count: the slow-down ends with it.
    expect((await beginLoginAttempt({ account, client: "10.66.0.99", now: at(32), policy })).decision).toEqual({ throttled: false, delayMs: 0 });
  });

  it("a client's own success does not wash away its guesses at other accounts", async () => {
    const client = "192.0.2.200";
    for (let i = 0; i < 9; i++) await fail(`other-${i}@example.com`, client, at(i));
    expect(await succeed("mine@example.com", client, at(9))).toMatchObject({ throttled: false });
    expect(await fail("other-9@example.com", client, at(10))).toMatchObject({ throttled: false });
    expect(await fail("other-10@example.com", client, at(11))).toMatchObject({ throttled: true, scope: "client" });
  });

  it("lets at most 3 of 20 parallel guesses at one account from one client through", async () => {
    const account = "burst@example.com";
    const results = await Promise.all(Array.from({ length: 20 }, () => beginLoginAttempt({ account, client: "10.9.0.1", now: at(1), policy })));
    expect(results.filter((r) => !r.decision.throttled)).toHaveLength(3);
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from console.login_attempts where account_key = ${account}`;
    expect(row!.n).toBe(3);
  });

  it("an attempt cancelled before any password was checked does not count", async () => {
    const account = "busy@example.com";
    for (let i = 0; i < 5; i++) {
      const { decision, attempt } = await beginLoginAttempt({ account, client: "10.9.0.2", now: at(i), policy });
      expect(decision.throttled).toBe(false);
      await cancelLoginAttempt(attempt);
    }
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from console.login_attempts where account_key = ${account}`;
    expect(row!.n).toBe(0);
  });
});
