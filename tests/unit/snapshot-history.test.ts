import { describe, expect, it } from "vitest";
import { bucketize, HealthMonitor, type HistoryPoint } from "@/lib/recovery/health/snapshot";
import type { CheckDefinition, CheckReading, CheckStatus } from "@/lib/recovery/health/checks/types";

const reading = (status: CheckStatus, value: number | null = 1): CheckReading => ({
  status,
  value,
  unit: "n",
  summary: `${status} ${value}`,
  threshold: "",
  detail: {},
});

/** A check whose next readings are scripted; `unknown` makes it throw, as a failing check does. */
function scripted(id: string, statuses: CheckStatus[]): CheckDefinition {
  let i = 0;
  return {
    id,
    title: id,
    scenario: null,
    async run() {
      const s = statuses[Math.min(i++, statuses.length - 1)]!;
      if (s === "unknown") throw new Error("database unreachable");
      return reading(s, i);
    },
  };
}

describe("status runs: 'critical since'", () => {
  it("keeps the start of a run across evaluations, and marks the first one as 'at least'", async () => {
    const monitor = new HealthMonitor([scripted("a", ["ok", "critical", "critical", "critical"])], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    const first = (await monitor.evaluate()).checks[0]!;
    expect(first.since).toEqual({ at: first.observedAt, exact: false });
    const broke = (await monitor.evaluate()).checks[0]!;
    expect(broke.status).toBe("critical");
    expect(broke.since).toEqual({ at: broke.observedAt, exact: true });
    await monitor.evaluate();
    const later = (await monitor.evaluate()).checks[0]!;
    expect(later.since).toEqual({ at: broke.observedAt, exact: true });
  });

  it("does not let an unknown in between restart a run, and shows the last known reading meanwhile", async () => {
    const monitor = new HealthMonitor([scripted("a", ["ok", "critical", "unknown", "critical"])], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    await monitor.evaluate();
    const broke = (await monitor.evaluate()).checks[0]!;
    const unknown = (await monitor.evaluate()).checks[0]!;
    expect(unknown).toMatchObject({ status: "unknown", error: { message: "database unreachable" } });
    expect(unknown.since).toEqual({ at: unknown.observedAt, exact: true });
    expect(unknown.lastKnown).toEqual({ status: "critical", value: 2, unit: "n", summary: "critical 2", observedAt: broke.observedAt });
    const back = (await monitor.evaluate()).checks[0]!;
    expect(back.status).toBe("critical");
    expect(back.since).toEqual({ at: broke.observedAt, exact: true });
    expect(back.lastKnown).toBeUndefined();
  });

  it("starts a new run when the status changes", async () => {
    const monitor = new HealthMonitor([scripted("a", ["critical", "ok", "critical"])], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    await monitor.evaluate();
    const ok = (await monitor.evaluate()).checks[0]!;
    expect(ok.since).toEqual({ at: ok.observedAt, exact: true });
    const again = (await monitor.evaluate()).checks[0]!;
    expect(again.since).toEqual({ at: again.observedAt, exact: true });
  });
});

describe("refreshCheck after an action", () => {
  it("is not overwritten by an evaluation that started before it", async () => {
    let release!: () => void;
    const slowFirst = new Promise<void>((r) => (release = r));
    let n = 0;
    const def: CheckDefinition = {
      id: "a",
      title: "a",
      scenario: null,
      async run() {
        const mine = ++n;
        if (mine === 1) await slowFirst; // the evaluation in flight, reading the state before the action
        return reading(mine === 1 ? "critical" : "ok", mine);
      },
    };
    const monitor = new HealthMonitor([def], { refreshSeconds: 60, checkTimeoutMs: 5000 });
    const evaluation = monitor.evaluate();
    await new Promise((r) => setTimeout(r, 5)); // the evaluation's run has started
    const refreshed = await monitor.refreshCheck("a");
    expect(refreshed).toMatchObject({ status: "ok", value: 2 });
    release();
    const snap = await evaluation;
    expect(snap.checks[0]).toMatchObject({ status: "ok", value: 2 });
    expect((await monitor.get()).checks[0]).toMatchObject({ status: "ok", value: 2 });
    // Both readings are in the history, in the order they completed.
    expect(monitor.historyOf("a").map((p) => p.value)).toEqual([2, 1]);
  });

  it("returns null for an unknown check id", async () => {
    const monitor = new HealthMonitor([scripted("a", ["ok"])], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    expect(await monitor.refreshCheck("nope")).toBeNull();
  });
});

describe("history for sparklines", () => {
  it("buckets points: the last numeric value and the worst status of each bucket", () => {
    const p = (s: number, value: HistoryPoint["value"], status: CheckStatus): HistoryPoint => ({ t: new Date(s * 1000).toISOString(), value, status });
    expect(bucketize([p(0, 1, "ok"), p(10, 5, "critical"), p(20, 2, "ok"), p(30, null, "unknown"), p(65, "open", "critical")], 30_000)).toEqual([
      { t: new Date(0).toISOString(), value: 2, status: "critical" },
      { t: new Date(30_000).toISOString(), value: null, status: "unknown" },
      { t: new Date(60_000).toISOString(), value: null, status: "critical" },
    ]);
  });

  it("reads the signals rollup once per 30 s, whatever the number of callers, and reports its failure", async () => {
    let loads = 0;
    const monitor = new HealthMonitor([scripted("a", ["ok"])], {
      refreshSeconds: 5,
      checkTimeoutMs: 1000,
      signalsPerMinute: async () => {
        loads++;
        return [{ minute: new Date(0).toISOString(), count: 3 }];
      },
    });
    await monitor.evaluate();
    const answers = await Promise.all(Array.from({ length: 20 }, () => monitor.historySnapshot()));
    expect(loads).toBe(1);
    expect(answers[0]).toMatchObject({ windowSeconds: 3600, bucketSeconds: 30, signalsPerMinute: [{ count: 3 }] });
    expect(answers[0]!.checks.a).toHaveLength(1);

    const failing = new HealthMonitor([], { refreshSeconds: 5, checkTimeoutMs: 1000, signalsPerMinute: () => Promise.reject(new Error("boom")) });
    expect(await failing.historySnapshot()).toMatchObject({ signalsPerMinute: null, signalsPerMinuteError: { code: "check.error", message: "boom" } });
  });
});
