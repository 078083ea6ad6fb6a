/**
 * The trading store's lane (lib/db/client.ts): a batch's reads (the snapshot's checks) go out
 * together on one connection, pipelined; ordinary calls still each get a connection of their own;
 * a batch never waits for a lane that a slow read still holds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores, withTrading, withTradingBatch } from "@/lib/db/client";
import { withEnv } from "../support/db";

const pid = () => withTrading((sql) => sql<{ pid: number }[]>`select pg_backend_pid() as pid`).then(([r]) => r!.pid);

beforeAll(async () => {
  await closeStores();
  await withEnv({ DB_ACQUIRE_TIMEOUT_MS: "2000" });
});
afterAll(async () => {
  await closeStores();
  await withEnv({ DB_ACQUIRE_TIMEOUT_MS: undefined });
});

describe("trading lane", () => {
  it("runs a batch's concurrent reads on one connection, and ordinary concurrent calls on three", async () => {
    // The lane is taken by a batch once a call has answered on it.
    await Promise.all([pid(), pid(), pid()]);
    const inBatch = await withTradingBatch(() => Promise.all(Array.from({ length: 6 }, () => pid())));
    expect(new Set(inBatch).size).toBe(1);
    const holders = await Promise.all(
      Array.from({ length: 3 }, () => withTrading((sql) => sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.2)`).then(([r]) => r!.pid)),
    );
    expect(new Set(holders).size).toBe(3);
  });

  it("a slow read delays the batch's other reads by at most the hedge, and the next batch does not wait for the lane it holds", async () => {
    await Promise.all([pid(), pid(), pid()]);
    let slow: Promise<number> = Promise.resolve(0);
    let t0 = Date.now();
    // The slow read goes out first on the lane; the quick one is queued behind it there.
    const quick = await withTradingBatch(() => {
      slow = withTrading((sql) => sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(3)`, { timeoutMs: 5000 }).then(([r]) => r!.pid);
      return pid();
    });
    // At the hedge (1 s), not at the slow read's 3 s.
    expect(Date.now() - t0).toBeLessThan(2500);
    // The slow read still holds the lane: the next batch runs on the pool, at once.
    t0 = Date.now();
    const next = await withTradingBatch(() => Promise.all([pid(), pid()]));
    expect(Date.now() - t0).toBeLessThan(1000);
    const lanePid = await slow;
    expect(quick).not.toBe(lanePid);
    expect(next).not.toContain(lanePid);
  });
});
