/**
 * The health monitor as a follower of another instance's shared snapshot (lib/recovery/health/snapshot.ts),
 * with the console store replaced by a row in memory: the real store is tests/db/shared-snapshot.test.ts.
 */
import { describe, expect, it } from "vitest";
import { HealthMonitor, type Snapshot, type SnapshotShare } from "@/lib/recovery/health/snapshot";
import type { CheckDefinition, CheckResult } from "@/lib/recovery/health/checks/types";
import type { SharedSnapshotRow } from "@/lib/db/types";

const OPTS = { refreshSeconds: 5, checkTimeoutMs: 1000 };
/** A few milliseconds, so that the next reading is observed strictly later. */
const tick = () => new Promise((r) => setTimeout(r, 5));

function counting(id: string): CheckDefinition & { runs: number } {
  const d = {
    id,
    title: id,
    scenario: null,
    runs: 0,
    run: async () => ({ status: "ok" as const, value: ++d.runs, unit: "n", summary: "here", threshold: "", detail: {} }),
  };
  return d;
}

function leaderSnapshot(value: number, observedAt = new Date().toISOString()): Snapshot {
  const check: CheckResult = {
    id: "a",
    title: "a",
    scenario: null,
    status: "critical",
    value,
    unit: "n",
    summary: "from the leader",
    threshold: "",
    detail: {},
    observedAt,
    durationMs: 3,
    since: { at: "2026-12-03T10:00:00.000Z", exact: true },
  };
  return { generatedAt: observedAt, refreshSeconds: 5, checks: [check] };
}

type MemoryShare = {
  row: SharedSnapshotRow | null;
  reads: number;
  published: Snapshot[];
  merged: CheckResult[];
  failReads: boolean;
  share: SnapshotShare;
  set(next: Omit<SharedSnapshotRow, "revision">): void;
};

/** A console store in memory: one row, its reads counted. */
function memoryShare(row: Omit<SharedSnapshotRow, "revision"> | null): MemoryShare {
  let revision = 1;
  const s: MemoryShare = {
    row: row && { ...row, revision },
    reads: 0,
    published: [] as Snapshot[],
    merged: [] as CheckResult[],
    failReads: false,
    share: {
      instance: "here:1",
      read: async () => {
        s.reads++;
        if (s.failReads) throw new Error("store down");
        return s.row;
      },
      publish: async (snapshot) => void s.published.push(snapshot),
      merge: async (check) => void s.merged.push(check),
    },
    set(next: Omit<SharedSnapshotRow, "revision">) {
      s.row = { ...next, revision: ++revision };
    },
  };
  return s;
}

describe("following the shared snapshot", () => {
  it("serves a fresh shared snapshot to 50 viewers with one read of the store and no evaluation, and folds it into history", async () => {
    const a = counting("a");
    const store = memoryShare({ snapshot: leaderSnapshot(7), generatedAt: "", evaluatedBy: "leader:9", ageMs: 100 });
    const m = new HealthMonitor([a], { ...OPTS, share: store.share, follow: true });
    const all = await Promise.all(Array.from({ length: 50 }, () => m.get()));
    expect(store.reads).toBe(1);
    expect(a.runs).toBe(0);
    expect(m.evaluations).toBe(0);
    expect(all.every((s) => s === all[0])).toBe(true);
    expect(all[0]).toMatchObject({ source: "shared", evaluatedBy: "leader:9", checks: [{ value: 7, since: { exact: true } }] });
    expect(m.sharedReads).toBe(1);
    // The same row read again is not folded twice; a new one is.
    await m.get();
    expect(m.historyOf("a").map((p) => p.value)).toEqual([7]);
    store.set({ snapshot: leaderSnapshot(8, new Date(Date.now() + 1).toISOString()), generatedAt: "", evaluatedBy: "leader:9", ageMs: 0 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await m.get()).checks[0]!.value).toBe(8);
    expect(m.historyOf("a").map((p) => p.value)).toEqual([7, 8]);
    expect(m.sharedReads).toBe(2);
  });

  it("evaluates by itself, and publishes, when the shared snapshot is stale, absent or unreadable", async () => {
    const a = counting("a");
    const stale = memoryShare({ snapshot: leaderSnapshot(7), generatedAt: "", evaluatedBy: "leader:9", ageMs: 5000 + 1000 + 1001 });
    const m = new HealthMonitor([a], { ...OPTS, share: stale.share, follow: true });
    expect(await m.get()).toMatchObject({ source: "local", evaluatedBy: "here:1", checks: [{ value: 1 }] });
    expect(stale.published).toHaveLength(1);

    const down = memoryShare(null);
    down.failReads = true;
    for (const store of [memoryShare(null), down]) {
      const b = counting("a");
      const n = new HealthMonitor([b], { ...OPTS, share: store.share, follow: true });
      expect(await n.get()).toMatchObject({ source: "local", checks: [{ value: 1 }] });
      expect(b.runs).toBe(1);
      expect(store.reads).toBe(1);
    }
  });

  it("answers when the store never answers a publication", async () => {
    const a = counting("a");
    const share: SnapshotShare = { instance: "here:1", read: async () => null, publish: () => new Promise(() => {}), merge: () => new Promise(() => {}) };
    const m = new HealthMonitor([a], { ...OPTS, share });
    expect(await m.get()).toMatchObject({ source: "local", checks: [{ value: 1 }] });
    expect(await m.refreshCheck("a")).toMatchObject({ value: 2 });
  });

  it("evaluates as a lone instance while leading, and shares a check re-run after an action with the fleet", async () => {
    const a = counting("a");
    const store = memoryShare(null);
    const m = new HealthMonitor([a], { ...OPTS, share: store.share });
    m.setLeading(true);
    expect(await m.get()).toMatchObject({ source: "local", checks: [{ value: 1 }] });
    expect(store.reads).toBe(0);
    // Another instance leads now, and has evaluated since.
    await tick();
    store.set({ snapshot: leaderSnapshot(7), generatedAt: "", evaluatedBy: "leader:9", ageMs: 100 });
    m.setLeading(false);
    expect(await m.get()).toMatchObject({ source: "shared", checks: [{ value: 7 }] });
    // An action here re-reads the check: this instance shows its newer reading, and the fleet gets it.
    await tick();
    await m.refreshCheck("a");
    expect(store.merged.map((c) => c.value)).toEqual([2]);
    expect((await m.get()).checks[0]!.value).toBe(2);
  });
});
