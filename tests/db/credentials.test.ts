/**
 * The credentials check (auth.ts authorizeCredentials) against the real console store: an account
 * under attack from many clients still lets its owner in from their own client (slowed), and an
 * unknown account costs a password hash like a real one, under the hashing cap (refused with the
 * `busy_<s>` code, which the route handler answers as 503 + Retry-After, when the cap is full).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsSignin } from "next-auth";
import { authorizeCredentials } from "@/auth";
import { closeStores } from "@/lib/db/client";
import { beginLoginAttempt, finishLoginAttempt } from "@/lib/auth/login-throttle";
import { HASH_CONCURRENCY, HASH_QUEUE, hashGate } from "@/lib/auth/password";
import { addUser } from "@/lib/recovery/access/users";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const PASSWORD = "the on-call's own passphrase";

const from = (ip: string) => new Request("http://localhost/api/auth/callback/credentials", { method: "POST", headers: { "x-forwarded-for": ip } });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "signed-in",
    (e: unknown) => (e instanceof CredentialsSignin ? e.code : `unexpected: ${String(e)}`),
  );

beforeAll(async () => {
  sql = connect("console");
  await addUser({ email: "attacked.oncall@example.com", role: "oncall", password: PASSWORD }, { actor: { id: "cli:test" } });
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("credentials sign-in", () => {
  it("an account attacked from many clients still lets its owner in from their own client, slowed", async () => {
    const account = "attacked.oncall@example.com";
    for (let i = 0; i < 25; i++) {
      const { attempt } = await beginLoginAttempt({ account, client: `10.77.0.${i}` });
      await finishLoginAttempt(attempt, false);
    }
    const started = Date.now();
    const user = await authorizeCredentials({ email: account, password: PASSWORD }, from("192.0.2.50"));
    expect(user).toMatchObject({ email: account, role: "oncall" });
    // 25 failures, 10 allowed: the pause is at its cap (4 s), not a lockout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3900);
    const [entry] = await sql<{ outcome: string; request: { ip: string } }[]>`
      select outcome, request from console.audit_log where action = 'auth.login' and actor_email = ${account} order by seq desc limit 1`;
    expect(entry).toMatchObject({ outcome: "succeeded", request: { ip: "192.0.2.50" } });
  });

  it("an unknown account costs a hash like a real one: with the hashing cap full it is refused as busy, uncounted", async () => {
    // Fill the gate: 2 running and 8 waiting, all held until released.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const fillers = Array.from({ length: HASH_CONCURRENCY + HASH_QUEUE }, () => hashGate.run(() => held));
    try {
      expect(hashGate.stats()).toEqual({ running: HASH_CONCURRENCY, waiting: HASH_QUEUE });
      expect(await codeOf(authorizeCredentials({ email: "nobody.here@example.com", password: "whatever it is" }, from("192.0.2.51")))).toBe("busy_2");
      expect(await codeOf(authorizeCredentials({ email: "attacked.oncall@example.com", password: "wrong" }, from("192.0.2.51")))).toBe("busy_2");
    } finally {
      release();
      await Promise.all(fillers);
    }
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from console.login_attempts where client_key = '192.0.2.51'`;
    expect(row!.n).toBe(0);
    // With room again, the unknown account is checked (and fails like a wrong password).
    expect(await codeOf(authorizeCredentials({ email: "nobody.here@example.com", password: "whatever it is" }, from("192.0.2.51")))).toBe(
      "invalid_credentials",
    );
  });
});
