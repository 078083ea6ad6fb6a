import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores, withTrading } from "@/lib/db/client";
import { DbError } from "@/lib/db/errors";
import { withEnv } from "../support/db";

beforeAll(async () => {
  await closeStores();
  await withEnv({ DB_ACQUIRE_TIMEOUT_MS: "200", DB_STATEMENT_TIMEOUT_MS: "1500" });
});
afterAll(async () => {
  await closeStores();
  await withEnv({ DB_ACQUIRE_TIMEOUT_MS: undefined, DB_STATEMENT_TIMEOUT_MS: undefined });
});

describe("trading DB pool", () => {
  it("identifies itself and sets every session timeout", async () => {
    const [row] = await withTrading(
      (sql) => sql<{ app: string; st: string; lt: string; it: string }[]>`
        select current_setting('application_name') as app, current_setting('statement_timeout') as st,
               current_setting('lock_timeout') as lt, current_setting('idle_in_transaction_session_timeout') as it`,
    );
    expect(row).toEqual({ app: "recovery-console", st: "1500ms", lt: "2s", it: "15s" });
  });

  it("answers a caller within the acquire deadline when all 3 connections are busy", async () => {
    const holders = Array.from({ length: 3 }, () => withTrading((sql) => sql`select pg_sleep(1)`, { timeoutMs: 3000 }));
    const started = Date.now();
    const err = await withTrading((sql) => sql`select 1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe("db.pool_timeout");
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.all(holders);
    // Once freed, the pool serves again.
    await expect(withTrading((sql) => sql`select 1 as one`)).resolves.toEqual([{ one: 1 }]);
  });

  it("never opens more than 3 connections to the trading DB", async () => {
    await Promise.all(Array.from({ length: 6 }, () => withTrading((sql) => sql`select pg_sleep(0.2)`, { timeoutMs: 3000 }).catch(() => null)));
    const [row] = await withTrading(
      (sql) =>
        sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = 'recovery-console' and datname = current_database()`,
    );
    expect(row!.n).toBeLessThanOrEqual(3);
  });

  it("ends a slow statement at statement_timeout with a typed error", async () => {
    const err = await withTrading((sql) => sql`select pg_sleep(5)`, { timeoutMs: 4000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe("db.timeout");
  });
});
