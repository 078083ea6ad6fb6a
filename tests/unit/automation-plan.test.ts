/**
 * What a policy will do next (lib/recovery/automation/plan.ts), with an injected clock: the
 * panel's words and the loop's "due".
 */
import { describe, expect, it } from "vitest";
import { automationSummary, planPolicy, type PlanInput } from "@/lib/recovery/automation/plan";
import type { Policy } from "@/lib/recovery/automation/policy";
import type { CheckResult } from "@/lib/recovery/health/checks/types";

const NOW = Date.parse("2026-12-03T12:00:00Z");
const policy: Policy = {
  name: "reset",
  check: "circuit_breaker",
  when: { criticalForSeconds: 30 },
  action: "circuit.reset",
  params: {},
  limits: { maxRunsPerIncident: 2, minSecondsBetweenRuns: 60, maxTargets: 1 },
  mode: "on",
};
const check = (sinceS: number, over: Partial<CheckResult> = {}): CheckResult => ({
  id: "circuit_breaker",
  title: "Circuit",
  status: "critical",
  value: "open",
  unit: "",
  summary: "",
  threshold: "",
  detail: {},
  observedAt: new Date(NOW).toISOString(),
  durationMs: 1,
  scenario: 2,
  since: { at: new Date(NOW - sinceS * 1000).toISOString(), exact: true },
  ...over,
});
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  policy,
  check: check(10),
  incident: { id: 7 },
  runs: [],
  paused: null,
  approvalPending: false,
  switches: { actionsEnabled: true, automationEnabled: true },
  now: NOW,
  ...over,
});
const at = (sAgo: number) => new Date(NOW - sAgo * 1000).toISOString();

describe("planPolicy", () => {
  it("counts down to critical_for_seconds, then is due", () => {
    expect(planPolicy(input())).toMatchObject({ kind: "waiting", runAt: NOW + 20_000, text: "Automation will reset the circuit in 20 s." });
    expect(planPolicy(input({ check: check(30) }))).toMatchObject({ kind: "due" });
  });

  it("spaces runs by min_seconds_between_runs, and stops at the most runs per incident", () => {
    expect(planPolicy(input({ check: check(300), runs: [{ state: "ran", at: at(20), outcome: "failed" }] }))).toMatchObject({
      kind: "waiting",
      text: "Automation will reset the circuit in 40 s (run 2 of 2).",
    });
    // A refusal spaces the next attempt too, but uses up no run.
    expect(planPolicy(input({ check: check(300), runs: [{ state: "refused", at: at(61) }] }))).toMatchObject({ kind: "due", runsUsed: 0 });
    expect(
      planPolicy(
        input({
          check: check(300),
          runs: [
            { state: "ran", at: at(200), outcome: "failed" },
            { state: "unknown", at: at(100) },
          ],
        }),
      ),
    ).toMatchObject({
      kind: "exhausted",
      text: "Automation tried to reset the circuit 2 times (failed, unknown), its limit for this incident: over to on-call.",
    });
  });

  it("does nothing when off, stopped by a kill switch, paused, handed over, or waiting for approval", () => {
    expect(planPolicy(input({ policy: { ...policy, mode: "off" }, check: check(300) })).kind).toBe("off");
    expect(planPolicy(input({ check: check(300), switches: { actionsEnabled: false, automationEnabled: true } })).text).toContain("RECOVERY_ACTIONS_ENABLED=0");
    expect(planPolicy(input({ check: check(300), switches: { actionsEnabled: true, automationEnabled: false } })).text).toContain("AUTOMATION_ENABLED=0");
    expect(planPolicy(input({ check: check(300), paused: { byEmail: "a@b.c", at: at(5) } })).text).toBe(
      "Automation is paused by a@b.c: it will not reset the circuit until resumed.",
    );
    expect(planPolicy(input({ check: check(300), runs: [{ state: "handed_over", at: at(5) }] })).kind).toBe("handed_over");
    expect(planPolicy(input({ check: check(300), approvalPending: true })).kind).toBe("awaiting_approval");
  });

  it("watches an ok check, and needs an open incident", () => {
    expect(planPolicy(input({ check: check(300, { status: "ok" }) }))).toMatchObject({
      kind: "watching",
      text: "Automation will reset the circuit after 30 s critical, at most 2 runs per incident.",
    });
    expect(planPolicy(input({ check: check(300), incident: null })).kind).toBe("no_incident");
  });

  it("holds the optional value thresholds", () => {
    const p = { ...policy, when: { criticalForSeconds: 0, valueAtLeast: 3 } };
    expect(planPolicy(input({ policy: p, check: check(300, { value: 2 }) })).kind).toBe("below_threshold");
    expect(planPolicy(input({ policy: p, check: check(300, { value: 3 }) })).kind).toBe("due");
    expect(planPolicy(input({ policy: p, check: check(300, { value: "open" }) })).kind).toBe("below_threshold");
  });

  it("a dry run says it would", () => {
    expect(planPolicy(input({ policy: { ...policy, mode: "dry-run" } })).text).toBe("Automation would (dry run) reset the circuit in 20 s.");
  });
});

describe("automationSummary", () => {
  it("says what automation tried, for the L2 notification", () => {
    expect(automationSummary([])).toBeNull();
    expect(
      automationSummary([
        { state: "ran", at: at(100), outcome: "failed", action: "circuit.reset", detail: { recovered: false } },
        { state: "refused", at: at(50), action: "circuit.reset" },
        { state: "would_run", at: at(40), action: "sessions.terminate_idle" },
      ]),
    ).toBe("Automation tried 2 times (reset the circuit: failed; kill the idle sessions: dry run only); the incident is still open.");
  });
});
