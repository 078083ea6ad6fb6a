import { describe, expect, it } from "vitest";
import { HealthMonitor } from "@/lib/recovery/health/snapshot";
import type { CheckDefinition, CheckReading } from "@/lib/recovery/health/checks/types";

const reading = (value: number): CheckReading => ({ status: "ok", value, unit: "n", summary: "fine", threshold: "", detail: {} });

function def(id: string, run: CheckDefinition["run"], timeoutMs?: number): CheckDefinition {
  return { id, title: id, scenario: null, run, timeoutMs };
}

describe("shared health snapshot", () => {
  it("runs one evaluation for 50 concurrent readers (single-flight)", async () => {
    let calls = 0;
    let release!: () => void;
    const gateOpen = new Promise<void>((r) => (release = r));
    const monitor = new HealthMonitor([def("a", async () => (calls++, await gateOpen, reading(1)))], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    const readers = Array.from({ length: 50 }, () => monitor.get());
    release();
    const snapshots = await Promise.all(readers);
    expect(calls).toBe(1);
    expect(monitor.evaluations).toBe(1);
    expect(new Set(snapshots.map((s) => s.generatedAt)).size).toBe(1);
    // Within the refresh interval, later readers get the same snapshot without a new evaluation.
    await monitor.get();
    expect(monitor.evaluations).toBe(1);
  });

  it("turns a slow check into unknown at its deadline without delaying the others", async () => {
    const monitor = new HealthMonitor(
      [def("slow", () => new Promise(() => {}), 50), def("fast", async () => reading(7)), def("broken", async () => Promise.reject(new Error("boom")))],
      { refreshSeconds: 60, checkTimeoutMs: 1000 },
    );
    const started = Date.now();
    const snap = await monitor.get();
    expect(Date.now() - started).toBeLessThan(900);
    const byId = Object.fromEntries(snap.checks.map((c) => [c.id, c]));
    expect(byId.slow).toMatchObject({ status: "unknown", error: { code: "check.timeout" } });
    expect(byId.fast).toMatchObject({ status: "ok", value: 7 });
    expect(byId.broken).toMatchObject({ status: "unknown", error: { code: "check.error", message: "boom" } });
  });

  it("re-evaluates once the snapshot is older than the refresh interval", async () => {
    let n = 0;
    const monitor = new HealthMonitor([def("a", async () => reading(++n))], { refreshSeconds: 0.05, checkTimeoutMs: 1000 });
    expect((await monitor.get()).checks[0]!.value).toBe(1);
    await expect.poll(async () => (await monitor.get()).checks[0]!.value, { timeout: 2000, interval: 20 }).toBe(2);
  });

  it("keeps a history per check for sparklines", async () => {
    let n = 0;
    const monitor = new HealthMonitor([def("a", async () => reading(++n))], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    await monitor.evaluate();
    await monitor.evaluate();
    expect(monitor.historyOf("a").map((p) => p.value)).toEqual([1, 2]);
  });
});
