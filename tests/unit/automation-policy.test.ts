/**
 * The automation policy file (lib/recovery/automation/policy.ts): a good file parses into
 * policies; every bad file is refused with its line and the reason.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicyFile, validatePolicies } from "@/lib/recovery/automation/load";
import { KNOWN_CHECK_IDS, parsePolicies, PolicyFileError } from "@/lib/recovery/automation/policy";
import { checks } from "@/lib/recovery/health/checks";

const GOOD = `# comment
policies:
  - name: reset-circuit-when-open
    check: circuit_breaker
    when:
      critical_for_seconds: 30
    action: circuit.reset
    limits:
      max_runs_per_incident: 2
      min_seconds_between_runs: 45
      max_targets: 1
    mode: on
  - name: kill-idle
    check: idle_transactions
    when: { critical_for_seconds: 60, value_at_least: 1 }
    action: sessions.terminate_idle
    params: {}
    limits: { max_runs_per_incident: 1, min_seconds_between_runs: 60, max_targets: 20 }
    mode: dry-run
`;

function problem(text: string): { line: number | null; reason: string } {
  try {
    parsePolicies(text, "policies.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    const e = err as PolicyFileError;
    expect(e.message).toBe(`policies.yaml${e.line !== null ? `:${e.line}` : ""}: ${e.reason}`);
    return { line: e.line, reason: e.reason };
  }
  throw new Error("the file was accepted");
}

describe("automation policy file", () => {
  it("parses YAML into policies (mode `on` is a string in YAML 1.2)", () => {
    const p = parsePolicies(GOOD);
    expect(p).toEqual([
      {
        name: "reset-circuit-when-open",
        check: "circuit_breaker",
        when: { criticalForSeconds: 30, valueAtLeast: undefined, valueAtMost: undefined },
        action: "circuit.reset",
        params: {},
        limits: { maxRunsPerIncident: 2, minSecondsBetweenRuns: 45, maxTargets: 1 },
        mode: "on",
      },
      {
        name: "kill-idle",
        check: "idle_transactions",
        when: { criticalForSeconds: 60, valueAtLeast: 1, valueAtMost: undefined },
        action: "sessions.terminate_idle",
        params: {},
        limits: { maxRunsPerIncident: 1, minSecondsBetweenRuns: 60, maxTargets: 20 },
        mode: "dry-run",
      },
    ]);
  });

  it("parses the same policies written as JSON", () => {
    const json = JSON.stringify(
      {
        policies: parsePolicies(GOOD).map((p) => ({
          name: p.name,
          check: p.check,
          when: { critical_for_seconds: p.when.criticalForSeconds },
          action: p.action,
          limits: {
            max_runs_per_incident: p.limits.maxRunsPerIncident,
            min_seconds_between_runs: p.limits.minSecondsBetweenRuns,
            max_targets: p.limits.maxTargets,
          },
          mode: p.mode,
        })),
      },
      null,
      2,
    );
    expect(parsePolicies(json).map((p) => [p.name, p.mode, p.limits.maxTargets])).toEqual([
      ["reset-circuit-when-open", "on", 1],
      ["kill-idle", "dry-run", 20],
    ]);
  });

  it("an empty list automates nothing", () => {
    expect(parsePolicies("policies: []\n")).toEqual([]);
  });

  it("the example file and the demo's policy file parse", () => {
    for (const f of ["automation.example.yaml", "sim/automation-demo.yaml"]) {
      expect(parsePolicies(readFileSync(path.join(import.meta.dirname, "../..", f), "utf8"), f).length).toBeGreaterThan(0);
    }
  });

  it("refuses broken YAML with the line", () => {
    expect(problem("policies:\n  - name: a\n    check: [unclosed\n")).toMatchObject({
      line: expect.any(Number),
      reason: expect.stringMatching(/^not valid YAML or JSON/),
    });
    expect(problem('{"policies": [\n  {"name": "x",\n   "check": }\n]}').line).toBe(3);
  });

  it("refuses a duplicate key with its line", () => {
    const bad = GOOD.replace("    mode: on\n", "    mode: on\n    mode: off\n");
    expect(problem(bad)).toMatchObject({ line: 13, reason: expect.stringMatching(/unique|duplicate/i) });
  });

  it("refuses an unknown check, with the line and the known ids", () => {
    const r = problem(GOOD.replace("check: circuit_breaker", "check: circuit"));
    expect(r.line).toBe(4);
    expect(r.reason).toBe(`policy 1 (reset-circuit-when-open).check: check must be one of: ${KNOWN_CHECK_IDS.join(", ")}`);
  });

  it("refuses an unknown or non-automatable action", () => {
    expect(problem(GOOD.replace("action: circuit.reset", "action: trading.halt"))).toMatchObject({
      line: 7,
      reason: expect.stringContaining("halting trading is never automated"),
    });
  });

  it("refuses a bad mode (a YAML 1.1 boolean is not a mode)", () => {
    expect(problem(GOOD.replace("    mode: on\n", "    mode: true\n"))).toMatchObject({
      line: 12,
      reason: expect.stringContaining("mode must be one of: off, dry-run, on"),
    });
  });

  it("refuses a missing or out-of-range limit", () => {
    expect(problem(GOOD.replace("      max_runs_per_incident: 2\n", ""))).toMatchObject({
      line: 8,
      reason: "policy 1 (reset-circuit-when-open).limits.max_runs_per_incident: max_runs_per_incident is required",
    });
    expect(problem(GOOD.replace("max_runs_per_incident: 2", "max_runs_per_incident: 0"))).toMatchObject({
      line: 9,
      reason: expect.stringContaining("max_runs_per_incident must be at least 1"),
    });
    expect(problem(GOOD.replace("max_targets: 1\n", "max_targets: 1.5\n"))).toMatchObject({
      line: 11,
      reason: expect.stringContaining("max_targets must be a whole number"),
    });
  });

  it("refuses an unknown key at the key's line", () => {
    expect(problem(GOOD.replace("      critical_for_seconds: 30\n", "      critical_for_seconds: 30\n      critical_for_minutes: 1\n"))).toEqual({
      line: 7,
      reason: 'unknown key "critical_for_minutes" in policy 1 (reset-circuit-when-open).when',
    });
  });

  it("refuses value thresholds the wrong way round", () => {
    expect(problem(GOOD.replace("value_at_least: 1 }", "value_at_least: 5, value_at_most: 2 }")).reason).toContain(
      "value_at_least must not be above value_at_most",
    );
  });

  it("refuses two policies with one name, and two live policies on one check and action", () => {
    expect(problem(GOOD.replace("name: kill-idle", "name: reset-circuit-when-open"))).toMatchObject({
      line: 13,
      reason: expect.stringContaining("is used twice"),
    });
    const first = GOOD.split("\n").slice(2, 12).join("\n");
    const twice = `policies:\n${first}\n${first.replace("reset-circuit-when-open", "again")}\n`;
    expect(problem(twice)).toMatchObject({
      line: 12,
      reason: 'policies "reset-circuit-when-open" and "again" both run circuit.reset on circuit_breaker; keep one (or set one to mode: off)',
    });
    expect(parsePolicies(twice.replace(/mode: on\n$/, "mode: off\n")).length).toBe(2);
  });

  it("refuses a file that is not a policy list", () => {
    expect(problem("- a\n- b\n")).toMatchObject({ line: 1, reason: expect.stringContaining("the file must be a mapping") });
    expect(problem("policies: 3\n")).toMatchObject({ line: 1, reason: "policies: policies must be a list" });
  });

  it("knows exactly the registry's checks", () => {
    expect([...KNOWN_CHECK_IDS].sort()).toEqual(checks.map((c) => c.id).sort());
  });

  it("refuses params the action does not take, at the params' line", () => {
    expect(validatePolicies(GOOD, "p.yaml")).toHaveLength(2);
    const bad = GOOD.replace("    params: {}\n", "    params: { bogus: 1 }\n");
    expect(() => validatePolicies(bad, "p.yaml")).toThrow(PolicyFileError);
    try {
      validatePolicies(bad, "p.yaml");
    } catch (err) {
      expect((err as PolicyFileError).line).toBe(17);
      expect((err as PolicyFileError).reason).toMatch(/^policy 2 \(kill-idle\)\.params: /);
    }
  });

  it("a missing file is refused with its name", () => {
    expect(() => loadPolicyFile("/nonexistent/automation.yaml")).toThrow("/nonexistent/automation.yaml: cannot read the file: ENOENT");
  });
});
