import { describe, expect, it } from "vitest";
import { escapeLabel, renderMetrics } from "@/lib/recovery/health/metrics";
import type { Snapshot } from "@/lib/recovery/health/snapshot";
import type { CheckResult } from "@/lib/recovery/health/checks/types";

function check(over: Partial<CheckResult>): CheckResult {
  return {
    id: "signals_recent",
    title: "Recent signals",
    scenario: 1,
    status: "ok",
    value: 15,
    unit: "signals",
    metricUnit: "signals",
    summary: "",
    threshold: "",
    detail: {},
    observedAt: "2026-11-27T21:40:18.000Z",
    durationMs: 20,
    since: { at: "2026-11-27T21:00:00.000Z", exact: true },
    ...over,
  };
}

const snapshot: Snapshot = {
  generatedAt: "2026-11-27T21:40:18.500Z",
  refreshSeconds: 5,
  checks: [
    check({}),
    check({ id: "circuit_breaker", scenario: 2, status: "critical", value: "open", unit: "" }),
    check({ id: "ea_heartbeat", scenario: 5, status: "unknown", value: null, unit: "s" }),
  ],
};

describe("Prometheus metrics", () => {
  const text = renderMetrics(snapshot, { evaluations: 42 });
  const lines = text.split("\n");

  it("has HELP and TYPE for every family, before its samples", () => {
    const families = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(families).toContain("recovery_console_check_status");
    for (const f of families) {
      const help = lines.findIndex((l) => l.startsWith(`# HELP ${f} `));
      const type = lines.findIndex((l) => l.startsWith(`# TYPE ${f} `));
      const sample = lines.findIndex((l) => l.startsWith(`${f}{`) || l.startsWith(`${f} `));
      expect(help).toBeGreaterThanOrEqual(0);
      expect(type).toBe(help + 1);
      if (sample >= 0) expect(sample).toBeGreaterThan(type);
    }
    expect(text.endsWith("\n")).toBe(true);
  });

  it("encodes status as a number and as a state set", () => {
    expect(lines).toContain('recovery_console_check_status{check="signals_recent",scenario="1"} 0');
    expect(lines).toContain('recovery_console_check_status{check="circuit_breaker",scenario="2"} 2');
    expect(lines).toContain('recovery_console_check_status{check="ea_heartbeat",scenario="5"} -1');
    expect(lines).toContain('recovery_console_check_state{check="circuit_breaker",state="critical"} 1');
    expect(lines).toContain('recovery_console_check_state{check="circuit_breaker",state="ok"} 0');
  });

  it("says which checks are not configured, so that their unknown does not page", () => {
    const text2 = renderMetrics(
      { ...snapshot, checks: [check({ id: "worker_rate_limit", status: "unknown", value: null, detail: { configured: false } })] },
      { evaluations: 1 },
    );
    expect(text2.split("\n")).toContain('recovery_console_check_configured{check="worker_rate_limit"} 0');
    expect(lines).toContain('recovery_console_check_configured{check="signals_recent"} 1');
  });

  it("exports numeric values only", () => {
    expect(lines).toContain('recovery_console_check_value{check="signals_recent",unit="signals"} 15');
    expect(text).not.toMatch(/recovery_console_check_value\{check="circuit_breaker"/);
    expect(text).not.toMatch(/recovery_console_check_value\{check="ea_heartbeat"/);
  });

  it("exports timestamps in seconds and the evaluation counter", () => {
    expect(lines).toContain('recovery_console_check_observed_timestamp_seconds{check="signals_recent"} 1795815618');
    expect(lines).toContain("recovery_console_snapshot_timestamp_seconds 1795815618.5");
    expect(lines).toContain("recovery_console_health_evaluations_total 42");
  });

  it("exports the count of shared snapshots served from another instance when given, and nothing when not", () => {
    expect(renderMetrics(snapshot, { evaluations: 1, sharedReads: 7 }).split("\n")).toContain("recovery_console_health_shared_reads_total 7");
    expect(text).not.toContain("recovery_console_health_shared_reads_total");
  });

  it("keeps the unit label of a check the same whatever its value (1 directive, 2 directives)", () => {
    const render = (value: number) =>
      renderMetrics(
        {
          ...snapshot,
          checks: [check({ id: "directives_stale_pending", scenario: 2, value, unit: value === 1 ? "directive" : "directives", metricUnit: "directives" })],
        },
        { evaluations: 1 },
      );
    const valueLine = (t: string) => t.split("\n").find((l) => l.startsWith("recovery_console_check_value{"));
    expect(valueLine(render(1))).toBe('recovery_console_check_value{check="directives_stale_pending",unit="directives"} 1');
    expect(valueLine(render(2))).toBe('recovery_console_check_value{check="directives_stale_pending",unit="directives"} 2');
  });

  it("writes no empty label (no scenario, no unit)", () => {
    const t = renderMetrics({ ...snapshot, checks: [check({ id: "executions_failed", scenario: null, metricUnit: "" })] }, { evaluations: 1 });
    expect(t).not.toMatch(/=""/);
    expect(t.split("\n")).toContain('recovery_console_check_status{check="executions_failed"} 0');
    expect(t.split("\n")).toContain('recovery_console_check_value{check="executions_failed"} 15');
    expect(text).not.toMatch(/=""/);
  });

  it("declares a fixed unit word for every registered check", async () => {
    const { checks } = await import("@/lib/recovery/health/checks");
    for (const c of checks) expect(typeof c.metricUnit, c.id).toBe("string");
  });

  it("exports the audit anchorer's refusals (issue 11 point 3)", () => {
    const anchoring = { refused: true, refusals: 3, lastAnchor: { seq: 1042, anchoredAt: "2026-11-27T21:40:18.000Z" } };
    const a = renderMetrics(snapshot, { evaluations: 1, anchoring }).split("\n");
    expect(a).toContain("# TYPE recovery_console_audit_anchor_refusals_total counter");
    expect(a).toContain("recovery_console_audit_anchor_refusals_total 3");
    expect(a).toContain("recovery_console_audit_anchoring_refused 1");
    expect(a).toContain("recovery_console_audit_anchor_last_seq 1042");
    expect(renderMetrics(snapshot, { evaluations: 1, anchoring: { ...anchoring, refused: false } }).split("\n")).toContain(
      "recovery_console_audit_anchoring_refused 0",
    );
  });

  it("says whether this process leads incident evaluation, and nothing when it runs no evaluator", () => {
    expect(renderMetrics(snapshot, { evaluations: 1, leader: true }).split("\n")).toContain("recovery_console_incident_leader 1");
    expect(renderMetrics(snapshot, { evaluations: 1, leader: false }).split("\n")).toContain("recovery_console_incident_leader 0");
    expect(renderMetrics(snapshot, { evaluations: 1, leader: null })).not.toContain("recovery_console_incident_leader");
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
