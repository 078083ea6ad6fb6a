/**
 * Sign-in throttling against the real console store, with an injected clock: 5 failures in
 * 15 minutes throttle the account and the client; a burst of parallel guesses cannot slip under.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { beginLoginAttempt, finishLoginAttempt } from "@/lib/auth/login-throttle";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const policy = { maxFailures: 5, windowSeconds: 15 * 60 };
const T0 = Date.parse("2026-11-27T12:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

async function fail(account: string, client: string | null, now: Date) {
  const { decision, attempt } = await beginLoginAttempt({ account, client, now, policy });
  if (!decision.throttled) await finishLoginAttempt(attempt, false);
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
  it("throttles an account after 5 failures in 15 minutes, from any client, until the window passes", async () => {
    const account = "victim@example.com";
    for (let i = 0; i < 5; i++) expect(await fail(account, `192.0.2.${i}`, at(i))).toEqual({ throttled: false });
    expect(await fail(account, "192.0.2.99", at(5))).toMatchObject({ throttled: true, scope: "account" });
    // The first failure (minute 0) leaves the window at minute 15.
    expect(await fail(account, "192.0.2.99", at(14.9))).toMatchObject({ throttled: true, scope: "account" });
    expect(await fail(account, "192.0.2.99", at(15.1))).toEqual({ throttled: false });
  });

  it("throttles the same way whether or not the account exists (the key is the email as typed)", async () => {
    for (let i = 0; i < 5; i++) await fail("no-such-user@example.com", `198.51.100.${i}`, at(i));
    expect(await fail("no-such-user@example.com", "198.51.100.50", at(6))).toMatchObject({ throttled: true, scope: "account" });
  });

  it("throttles a client guessing across many accounts", async () => {
    const client = "203.0.113.66";
    for (let i = 0; i < 5; i++) expect(await fail(`spray-${i}@example.com`, client, at(i))).toEqual({ throttled: false });
    expect(await fail("spray-5@example.com", client, at(5))).toMatchObject({ throttled: true, scope: "client" });
    // Another client is not affected.
    expect(await fail("spray-5@example.com", "203.0.113.67", at(5))).toEqual({ throttled: false });
  });

  it("resets an account's count on success, but not its client's", async () => {
    const account = "forgetful@example.com";
    const client = "192.0.2.200";
    for (let i = 0; i < 4; i++) await fail(account, client, at(i));
    const ok = await beginLoginAttempt({ account, client, now: at(4), policy });
    await finishLoginAttempt(ok.attempt, true);
    expect(await fail(account, "192.0.2.201", at(5))).toEqual({ throttled: false });
    // The client has 4 failures + the one just now from another client does not count: still 4 here.
    expect(await fail("other@example.com", client, at(5))).toEqual({ throttled: false });
    expect(await fail("other@example.com", client, at(5.5))).toMatchObject({ throttled: true, scope: "client" });
  });

  it("lets at most 5 of 20 parallel guesses through before checking a single password", async () => {
    const account = "burst@example.com";
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => beginLoginAttempt({ account, client: `10.9.0.${i}`, now: at(1), policy })));
    expect(results.filter((r) => !r.decision.throttled)).toHaveLength(5);
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from console.login_attempts where account_key = ${account}`;
    expect(row!.n).toBe(5);
  });
});
