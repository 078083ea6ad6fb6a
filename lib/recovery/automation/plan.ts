/**
 * What a policy will do next, as a pure function of the check (from the shared snapshot), the open
 * incident, the policy's runs for that incident (console store), the pause and the clock. The
 * leader's loop acts on it ("due"); the panels say it ("Automation will reset the circuit in 40 s").
 * No database and no React: tested with an injected clock.
 */
import type { CheckResult } from "../health/checks/types.ts";
import type { Policy } from "./policy.ts";

/** The run rows the plan reads (lib/db/queries/automation.ts AutomationRun, narrowed). */
export type PlanRun = { state: string; at: string; outcome?: string | null };

/** States that use up one of the policy's runs for the incident. */
export const COUNTED_STATES: ReadonlySet<string> = new Set(["running", "ran", "unknown", "would_run", "approval_required"]);

export type PlanKind =
  "off" | "disabled" | "paused" | "watching" | "below_threshold" | "no_incident" | "waiting" | "due" | "awaiting_approval" | "handed_over" | "exhausted";

export type Plan = {
  policy: string;
  check: string;
  action: string;
  mode: Policy["mode"];
  kind: PlanKind;
  /** waiting: when the next run is due (epoch ms). */
  runAt?: number;
  runsUsed: number;
  maxRuns: number;
  incidentId: number | null;
  /** One line for the panel. */
  text: string;
};

/** The action as a verb phrase: "reset the circuit". */
export const ACTION_PHRASES: Record<string, { does: string; did: string; doing: string }> = {
  "circuit.reset": { does: "reset the circuit", did: "reset the circuit", doing: "resetting the circuit" },
  "directives.cancel_stale": { does: "cancel the stale directives", did: "cancelled the stale directives", doing: "cancelling the stale directives" },
  "sessions.terminate_idle": { does: "kill the idle sessions", did: "killed the idle sessions", doing: "killing the idle sessions" },
};

export function phrase(action: string) {
  return ACTION_PHRASES[action] ?? { does: `run ${action}`, did: `ran ${action}`, doing: `running ${action}` };
}

export type PlanInput = {
  policy: Policy;
  check: CheckResult | undefined;
  /** The open incident that holds the policy's check, if any. */
  incident: { id: number } | null;
  /** This policy's rows for that incident, in any order. */
  runs: PlanRun[];
  paused: { byEmail: string; at: string } | null;
  /** A request of this policy's action by automation still waits for a person. */
  approvalPending: boolean;
  switches: { actionsEnabled: boolean; automationEnabled: boolean };
  now: number;
};

/** The check's value, if numeric, holds the policy's optional thresholds. */
export function valueHolds(policy: Policy, value: CheckResult["value"]): boolean {
  const { valueAtLeast, valueAtMost } = policy.when;
  if (valueAtLeast === undefined && valueAtMost === undefined) return true;
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(n)) return false;
  return (valueAtLeast === undefined || n >= valueAtLeast) && (valueAtMost === undefined || n <= valueAtMost);
}

export function planPolicy(i: PlanInput): Plan {
  const { policy, now } = i;
  const p = phrase(policy.action);
  const counted = i.runs.filter((r) => COUNTED_STATES.has(r.state));
  const base = {
    policy: policy.name,
    check: policy.check,
    action: policy.action,
    mode: policy.mode,
    runsUsed: counted.length,
    maxRuns: policy.limits.maxRunsPerIncident,
    incidentId: i.incident?.id ?? null,
  };
  const would = policy.mode === "dry-run" ? "would (dry run)" : "will";
  const rule = `after ${policy.when.criticalForSeconds} s critical, at most ${policy.limits.maxRunsPerIncident} ${policy.limits.maxRunsPerIncident === 1 ? "run" : "runs"} per incident`;
  if (policy.mode === "off") return { ...base, kind: "off", text: `Automation policy ${policy.name} is off (mode: off).` };
  if (!i.switches.actionsEnabled)
    return { ...base, kind: "disabled", text: "Automation is stopped: recovery actions are turned off on this console (RECOVERY_ACTIONS_ENABLED=0)." };
  if (!i.switches.automationEnabled) return { ...base, kind: "disabled", text: "Automation is stopped on this console (AUTOMATION_ENABLED=0)." };
  if (i.paused) return { ...base, kind: "paused", text: `Automation is paused by ${i.paused.byEmail}: it will not ${p.does} until resumed.` };
  if (i.runs.some((r) => r.state === "handed_over")) {
    return {
      ...base,
      kind: "handed_over",
      text: `Automation handed over to on-call: too many targets to ${p.does} on its own (limit ${policy.limits.maxTargets}).`,
    };
  }
  const critical = i.check?.status === "critical";
  if (!critical || !i.check) {
    return { ...base, kind: "watching", text: `Automation ${would} ${p.does} ${rule}.${counted.length ? ` Runs this incident: ${counted.length}.` : ""}` };
  }
  if (!valueHolds(policy, i.check.value))
    return {
      ...base,
      kind: "below_threshold",
      text: `Automation watches: the value ${i.check.value ?? "—"} is outside the policy's thresholds, so it will not ${p.does}.`,
    };
  if (i.approvalPending)
    return { ...base, kind: "awaiting_approval", text: `Automation asked for approval to ${p.does}: a person must approve it (see "Waiting for approval").` };
  if (counted.length >= policy.limits.maxRunsPerIncident) {
    const outcomes = counted.map((r) => r.outcome ?? r.state.replace("_", " ")).join(", ");
    return {
      ...base,
      kind: "exhausted",
      text: `Automation ${policy.mode === "dry-run" ? "would have tried" : "tried"} to ${p.does} ${counted.length} ${counted.length === 1 ? "time" : "times"} (${outcomes}), its limit for this incident: over to on-call.`,
    };
  }
  if (!i.incident) return { ...base, kind: "no_incident", text: `Automation ${would} ${p.does} once the incident for this check is open.` };
  const sinceAt = i.check.since ? Date.parse(i.check.since.at) : Date.parse(i.check.observedAt);
  let runAt = sinceAt + policy.when.criticalForSeconds * 1000;
  // The last attempt of any kind (a refusal too) spaces the next one.
  const last = Math.max(-Infinity, ...i.runs.filter((r) => r.state !== "exhausted").map((r) => Date.parse(r.at)));
  if (Number.isFinite(last)) runAt = Math.max(runAt, last + Math.max(policy.limits.minSecondsBetweenRuns, MIN_RETRY_SECONDS) * 1000);
  if (runAt > now) {
    const s = Math.ceil((runAt - now) / 1000);
    return {
      ...base,
      kind: "waiting",
      runAt,
      text: `Automation ${would} ${p.does} in ${s} s${counted.length ? ` (run ${counted.length + 1} of ${policy.limits.maxRunsPerIncident})` : ""}.`,
    };
  }
  return { ...base, kind: "due", runAt, text: `Automation ${policy.mode === "dry-run" ? "would be" : "is"} ${p.doing} now.` };
}

/** However short min_seconds_between_runs is, attempts (refused ones too) are at least this far apart. */
export const MIN_RETRY_SECONDS = 10;

/** What automation tried for an incident, in one sentence (for the escalation notification); null if nothing. */
export function automationSummary(runs: Array<PlanRun & { action: string; detail?: Record<string, unknown> | null }>): string | null {
  const tried = runs.filter((r) => ["ran", "unknown", "would_run", "approval_required", "handed_over"].includes(r.state));
  if (!tried.length) return null;
  const parts = tried.map((r) =>
    r.state === "ran"
      ? `${phrase(r.action).does}: ${r.outcome}`
      : r.state === "would_run"
        ? `${phrase(r.action).does}: dry run only`
        : `${phrase(r.action).does}: ${r.state.replace("_", " ")}`,
  );
  // Said at an escalation: whatever each run's re-check read, the incident is still open.
  return `Automation tried ${tried.length} ${tried.length === 1 ? "time" : "times"} (${parts.join("; ")}); the incident is still open.`;
}
