import { describe, expect, it } from "vitest";
import type { CheckResult, CheckStatus } from "@/lib/recovery/health/checks/types";
import { decide, type OpenIncident } from "@/lib/recovery/incidents/decide";

const T0 = Date.parse("2026-01-03T14:02:00Z");
const min = 60_000;
const policy = { l2Minutes: 15, l3Minutes: 30 };

function check(id: string, status: CheckStatus, scenario: number | null, at = T0): CheckResult {
  return {
    id,
    title: id,
    status,
    value: 0,
    unit: "",
    summary: status,
    threshold: "",
    detail: {},
    observedAt: new Date(at).toISOString(),
    durationMs: 1,
    scenario,
  };
}

/** A small simulation: feed evaluations through decide() and apply it like the evaluator does. */
function world() {
  const previous = new Map<string, CheckStatus>();
  let open: OpenIncident[] = [];
  const opened: OpenIncident[] = [];
  const resolved: number[] = [];
  const levels: Array<[number, number]> = [];
  let nextId = 1;
  return {
    opened,
    resolved,
    levels,
    get open() {
      return open;
    },
    step(checks: CheckResult[], now: number) {
      const d = decide({ previous, checks, open, now, policy, resolveAfter: 3 });
      for (const c of checks) previous.set(c.id, c.status);
      for (const o of d.open) {
        const inc: OpenIncident = { id: nextId++, scenario: o.scenario, startedAt: o.startedAt, level: 1, checkIds: o.checkIds, okStreak: 0 };
        open.push(inc);
        opened.push(inc);
      }
      for (const j of d.join) open.find((i) => i.id === j.incidentId)!.checkIds.push(j.checkId);
      for (const s of d.streaks) open.find((i) => i.id === s.incidentId)!.okStreak = s.okStreak;
      for (const l of d.levels) {
        open.find((i) => i.id === l.incidentId)!.level = l.to;
        levels.push([l.incidentId, l.to]);
      }
      for (const r of d.resolve) {
        resolved.push(r.incidentId);
        open = open.filter((i) => i.id !== r.incidentId);
      }
      return d;
    },
  };
}

describe("incident decisions", () => {
  it("opens an incident at the first critical observation, escalates L1 → L2 → L3 on time, and resolves after 3 ok evaluations", () => {
    const w = world();
    w.step([check("signals_recent", "ok", 1, T0 - min)], T0 - min);
    expect(w.opened).toHaveLength(0);
    w.step([check("signals_recent", "critical", 1, T0)], T0);
    expect(w.opened).toMatchObject([{ scenario: 1, startedAt: new Date(T0).toISOString(), checkIds: ["signals_recent"], level: 1 }]);
    w.step([check("signals_recent", "critical", 1, T0 + 14 * min)], T0 + 14 * min);
    expect(w.levels).toEqual([]);
    w.step([check("signals_recent", "critical", 1, T0 + 15 * min)], T0 + 15 * min);
    expect(w.levels).toEqual([[1, 2]]);
    w.step([check("signals_recent", "critical", 1, T0 + 30 * min)], T0 + 30 * min);
    expect(w.levels).toEqual([
      [1, 2],
      [1, 3],
    ]);
    for (let i = 1; i <= 2; i++) w.step([check("signals_recent", "ok", 1, T0 + (30 + i) * min)], T0 + (30 + i) * min);
    expect(w.resolved).toEqual([]);
    w.step([check("signals_recent", "ok", 1, T0 + 33 * min)], T0 + 33 * min);
    expect(w.resolved).toEqual([1]);
  });

  it("keeps one incident for a flapping check (no duplicates) and resolves only after a steady run of ok", () => {
    const w = world();
    const seq: CheckStatus[] = ["critical", "ok", "critical", "ok", "ok", "critical", "ok", "ok", "ok"];
    seq.forEach((s, i) => w.step([check("circuit_breaker", s, 2, T0 + i * 5000)], T0 + i * 5000));
    expect(w.opened).toHaveLength(1);
    expect(w.resolved).toEqual([1]);
  });

  it("joins a second check of the same scenario to the open incident", () => {
    const w = world();
    w.step([check("directives_stale_pending", "critical", 2), check("circuit_breaker", "ok", 2)], T0);
    w.step([check("directives_stale_pending", "critical", 2), check("circuit_breaker", "critical", 2, T0 + 5000)], T0 + 5000);
    expect(w.opened).toHaveLength(1);
    expect(w.open[0]!.checkIds).toEqual(["directives_stale_pending", "circuit_breaker"]);
    // Resolution needs both checks ok.
    for (let i = 2; i < 6; i++) w.step([check("directives_stale_pending", "ok", 2), check("circuit_breaker", "critical", 2)], T0 + i * 5000);
    expect(w.resolved).toEqual([]);
  });

  it("opens one incident per scenario, and none for warn or unknown", () => {
    const w = world();
    w.step(
      [
        check("signals_recent", "critical", 1),
        check("worker_rate_limit", "critical", 4),
        check("db_connections", "warn", 3),
        check("idle_transactions", "unknown", 3),
      ],
      T0,
    );
    expect(w.opened.map((i) => i.scenario).sort()).toEqual([1, 4]);
  });

  it("does not count an unknown check as recovered", () => {
    const w = world();
    w.step([check("signals_recent", "critical", 1)], T0);
    for (let i = 1; i <= 5; i++) w.step([check("signals_recent", "unknown", 1)], T0 + i * 5000);
    expect(w.resolved).toEqual([]);
  });

  it("records every status change as a transition, and nothing when the status holds", () => {
    const previous = new Map<string, CheckStatus>([["signals_recent", "ok"]]);
    const same = decide({ previous, checks: [check("signals_recent", "ok", 1)], open: [], now: T0, policy, resolveAfter: 3 });
    expect(same.transitions).toEqual([]);
    const changed = decide({ previous, checks: [check("signals_recent", "warn", 1)], open: [], now: T0, policy, resolveAfter: 3 });
    expect(changed.transitions).toEqual([{ checkId: "signals_recent", from: "ok", to: "warn", value: 0, summary: "warn", at: new Date(T0).toISOString() }]);
  });
});
