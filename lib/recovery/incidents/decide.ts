/**
 * Incident bookkeeping as a pure function of (previous statuses, this evaluation, open incidents,
 * now). The evaluator applies what it returns. Pure so that flapping, escalation and damping are
 * tested with an injected clock and no database.
 *
 * Rules:
 * - A check whose status differs from the previous evaluation is a transition (all are stored).
 * - A check that turns critical opens an incident for its runbook scenario, or joins the open one.
 *   The incident starts at the first critical observation.
 * - An incident resolves when every one of its checks has been `ok` for `resolveAfter` evaluations
 *   in a row (RESOLVE_AFTER_EVALUATIONS, default 3); warn, critical or unknown resets the streak, so a
 *   flapping check keeps one incident open instead of opening and closing several.
 * - The level follows the escalation clock; a rise is recorded.
 */
import type { CheckResult, CheckStatus } from "../health/checks/types.ts";
import { escalation, type EscalationPolicy, type Level } from "./escalation.ts";

export type OpenIncident = { id: number; scenario: number; startedAt: string; level: Level; checkIds: string[]; okStreak: number };

export type Transition = { checkId: string; from: CheckStatus | null; to: CheckStatus; value: CheckResult["value"]; summary: string; at: string };

export type Decision = {
  transitions: Transition[];
  open: { scenario: number; startedAt: string; checkIds: string[]; trigger: Transition }[];
  join: { incidentId: number; checkId: string; trigger: Transition }[];
  streaks: { incidentId: number; okStreak: number }[];
  levels: { incidentId: number; from: Level; to: Level }[];
  resolve: { incidentId: number; at: string }[];
};

export function decide(input: {
  previous: ReadonlyMap<string, CheckStatus>;
  checks: CheckResult[];
  open: OpenIncident[];
  now: number;
  policy: EscalationPolicy;
  resolveAfter: number;
}): Decision {
  const d: Decision = { transitions: [], open: [], join: [], streaks: [], levels: [], resolve: [] };
  const byScenario = new Map(input.open.map((i) => [i.scenario, i]));
  const opening = new Map<number, Decision["open"][number]>();

  for (const c of input.checks) {
    const from = input.previous.get(c.id) ?? null;
    if (from === c.status) continue;
    const t: Transition = { checkId: c.id, from, to: c.status, value: c.value, summary: c.summary, at: c.observedAt };
    d.transitions.push(t);
    if (c.status !== "critical" || c.scenario === null) continue;
    const existing = byScenario.get(c.scenario);
    if (existing) {
      if (!existing.checkIds.includes(c.id)) d.join.push({ incidentId: existing.id, checkId: c.id, trigger: t });
      continue;
    }
    const pending = opening.get(c.scenario);
    if (pending) {
      if (!pending.checkIds.includes(c.id)) pending.checkIds.push(c.id);
      if (t.at < pending.startedAt) pending.startedAt = t.at;
    } else {
      opening.set(c.scenario, { scenario: c.scenario, startedAt: t.at, checkIds: [c.id], trigger: t });
    }
  }
  d.open = [...opening.values()];

  const status = new Map(input.checks.map((c) => [c.id, c.status]));
  for (const inc of input.open) {
    const joined = d.join.filter((j) => j.incidentId === inc.id).map((j) => j.checkId);
    const ids = [...inc.checkIds, ...joined];
    const allOk = ids.every((id) => status.get(id) === "ok");
    const okStreak = allOk ? inc.okStreak + 1 : 0;
    if (okStreak !== inc.okStreak) d.streaks.push({ incidentId: inc.id, okStreak });
    if (okStreak >= input.resolveAfter) {
      d.resolve.push({ incidentId: inc.id, at: new Date(input.now).toISOString() });
      continue;
    }
    const level = escalation(inc.startedAt, input.now, input.policy).level;
    if (level > inc.level) d.levels.push({ incidentId: inc.id, from: inc.level, to: level });
  }
  return d;
}
