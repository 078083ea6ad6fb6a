/**
 * The health snapshot in the Prometheus text exposition format (version 0.0.4), for
 * GET /api/metrics, so existing Prometheus and Alertmanager setups can scrape the console.
 * Pure: no I/O, unit-tested.
 */
import type { CheckStatus } from "./checks/types.ts";
import type { Snapshot } from "./snapshot.ts";

/** The audit anchorer's state in this process (lib/recovery/audit/anchors.ts anchoringStatus). */
export type AnchoringMetrics = { refused: boolean; refusals: number; lastAnchor: { seq: number; anchoredAt: string } | null };

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const STATUS_CODE: Record<CheckStatus, number> = { ok: 0, warn: 1, critical: 2, unknown: -1 };
const STATES: CheckStatus[] = ["ok", "warn", "critical", "unknown"];

/**
 * Labels with an empty value are left out: Prometheus treats `x=""` as the label being absent, so
 * writing it only adds noise (and a series whose label set differs from the same series without it).
 */
function present(l: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(l).filter(([, v]) => v !== ""));
}

/** Label values escape backslash, double quote and newline (the exposition format's rules). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

export function renderMetrics(
  snapshot: Snapshot,
  extra: {
    evaluations: number;
    sharedReads?: number;
    anchoring?: AnchoringMetrics;
    /** Whether this process leads incident evaluation; null or absent when it runs no evaluator. */
    leader?: boolean | null;
    /** Dashboards' live streams open on this process, and opened since it started (GET /api/live). */
    live?: { open: number; opened: number };
  },
): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter", help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [all, v] of samples) {
      const l = present(all);
      out.push(`${name}${Object.keys(l).length ? labels(l) : ""} ${num(v)}`);
    }
  };
  const checks = snapshot.checks;
  family(
    "recovery_console_check_status",
    "gauge",
    "Status of each health check: 0 ok, 1 warn, 2 critical, -1 unknown.",
    checks.map((c) => [{ check: c.id, scenario: c.scenario ? String(c.scenario) : "" }, STATUS_CODE[c.status]]),
  );
  family(
    "recovery_console_check_state",
    "gauge",
    "1 for the current status of each health check, 0 for the others (a state set).",
    checks.flatMap((c) => STATES.map((s): [Record<string, string>, number] => [{ check: c.id, state: s }, c.status === s ? 1 : 0])),
  );
  family(
    "recovery_console_check_configured",
    "gauge",
    "0 when the check's source is not configured (it then reads unknown without an error), else 1.",
    checks.map((c) => [{ check: c.id }, c.detail.configured === false ? 0 : 1]),
  );
  family(
    "recovery_console_check_value",
    "gauge",
    "The value of each numeric health check, in its unit (absent when unknown or not numeric).",
    // The check's fixed unit word, never the reading's ("1 directive" / "2 directives"): a label
    // that changed with the value would split one series into several.
    checks.filter((c) => typeof c.value === "number").map((c) => [{ check: c.id, unit: c.metricUnit ?? "" }, c.value as number]),
  );
  family(
    "recovery_console_check_duration_seconds",
    "gauge",
    "How long the check's last run took.",
    checks.map((c) => [{ check: c.id }, c.durationMs / 1000]),
  );
  family(
    "recovery_console_check_observed_timestamp_seconds",
    "gauge",
    "When the check was last run (Unix time).",
    checks.map((c) => [{ check: c.id }, Date.parse(c.observedAt) / 1000]),
  );
  family(
    "recovery_console_check_status_since_timestamp_seconds",
    "gauge",
    "When the check's current status began, as far as this console has seen (Unix time).",
    checks.filter((c) => c.since).map((c) => [{ check: c.id }, Date.parse(c.since!.at) / 1000]),
  );
  family("recovery_console_snapshot_timestamp_seconds", "gauge", "When the shared snapshot was generated (Unix time).", [
    [{}, Date.parse(snapshot.generatedAt) / 1000],
  ]);
  family(
    "recovery_console_health_evaluations_total",
    "counter",
    "Health evaluations run by this process (one per refresh interval, whatever the number of viewers; none while it serves another instance's shared snapshot).",
    [[{}, extra.evaluations]],
  );
  if (extra.sharedReads !== undefined) {
    family(
      "recovery_console_health_shared_reads_total",
      "counter",
      "Shared snapshots this process served from another instance's evaluation (read from the console store) instead of evaluating itself.",
      [[{}, extra.sharedReads]],
    );
  }
  if (extra.live) {
    family("recovery_console_live_streams", "gauge", "Dashboards' live streams (GET /api/live) open on this process.", [[{}, extra.live.open]]);
    family(
      "recovery_console_live_streams_opened_total",
      "counter",
      "Live streams opened on this process since it started (each dashboard reconnects every LIVE_STREAM_SECONDS).",
      [[{}, extra.live.opened]],
    );
  }
  if (typeof extra.leader === "boolean") {
    family("recovery_console_incident_leader", "gauge", "1 while this process leads incident evaluation (exactly one instance does), else 0.", [
      [{}, extra.leader ? 1 : 0],
    ]);
  }
  const a = extra.anchoring;
  if (a) {
    family(
      "recovery_console_audit_anchor_refusals_total",
      "counter",
      "Times this process refused to anchor the audit chain's head because the chain does not verify from the previous anchor.",
      [[{}, a.refusals]],
    );
    family("recovery_console_audit_anchoring_refused", "gauge", "1 while the last anchoring attempt was refused (the audit chain does not verify), else 0.", [
      [{}, a.refused ? 1 : 0],
    ]);
    if (a.lastAnchor) {
      family("recovery_console_audit_anchor_last_seq", "gauge", "The seq of the last audit chain head this process anchored (or found anchored).", [
        [{}, a.lastAnchor.seq],
      ]);
      family("recovery_console_audit_anchor_last_timestamp_seconds", "gauge", "When that anchor was recorded (Unix time).", [
        [{}, Date.parse(a.lastAnchor.anchoredAt) / 1000],
      ]);
    }
  }
  return `${out.join("\n")}\n`;
}
