import { describe, expect, it } from "vitest";
import { Gate, GateTimeoutError } from "@/lib/db/gate";

describe("connection gate", () => {
  it("grants up to capacity at once and queues the rest in order", async () => {
    const gate = new Gate(2);
    const r1 = await gate.acquire(100);
    await gate.acquire(100);
    const order: number[] = [];
    const w3 = gate.acquire(1000).then((r) => (order.push(3), r));
    const w4 = gate.acquire(1000).then((r) => (order.push(4), r));
    expect(gate.waiting).toBe(2);
    r1();
    (await w3)();
    await w4;
    expect(order).toEqual([3, 4]);
  });

  it("rejects a waiter at its deadline instead of hanging (pool exhaustion)", async () => {
    const gate = new Gate(1);
    await gate.acquire(10);
    const started = Date.now();
    await expect(gate.acquire(50)).rejects.toBeInstanceOf(GateTimeoutError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(gate.waiting).toBe(0);
  });

  it("ignores a second release of the same slot", async () => {
    const gate = new Gate(1);
    const r = await gate.acquire(10);
    r();
    r();
    expect(gate.busy).toBe(0);
    await gate.acquire(10);
    expect(gate.busy).toBe(1);
  });
});
