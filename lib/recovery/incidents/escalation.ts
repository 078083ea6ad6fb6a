/**
 * The runbook's escalation procedure as pure functions of time:
 *   Level 1 (0-15 min): automated recovery, check runbook
 *   Level 2 (15-30 min): engage on-call engineer
 *   Level 3 (30+ min): halt trading, notify stakeholders
 * Thresholds come from the runbook file, overridden by ESCALATION_L2_MINUTES / ESCALATION_L3_MINUTES; `now` is always
 * passed in, so tests control the clock.
 */
import type { Level } from "../../db/types.ts";

export type { Level };

export type EscalationPolicy = { l2Minutes: number; l3Minutes: number };

export const RUNBOOK_POLICY: EscalationPolicy = { l2Minutes: 15, l3Minutes: 30 };

export const LEVEL_ASKS: Record<Level, string> = {
  1: "L1: automated recovery; check the runbook",
  2: "L2: engage the on-call engineer",
  3: "L3: halt trading and notify stakeholders",
};

export function levelAt(elapsedMs: number, policy: EscalationPolicy = RUNBOOK_POLICY): Level {
  const minutes = elapsedMs / 60_000;
  if (minutes >= policy.l3Minutes) return 3;
  if (minutes >= policy.l2Minutes) return 2;
  return 1;
}

/** Milliseconds until the next level, or null at L3. */
export function untilNextLevel(elapsedMs: number, policy: EscalationPolicy = RUNBOOK_POLICY): number | null {
  const level = levelAt(elapsedMs, policy);
  if (level === 3) return null;
  const next = (level === 1 ? policy.l2Minutes : policy.l3Minutes) * 60_000;
  return Math.max(0, next - elapsedMs);
}

export type Escalation = { level: Level; asks: string; elapsedMs: number; nextLevelInMs: number | null };

export function escalation(startedAt: Date | string | number, now: number, policy: EscalationPolicy = RUNBOOK_POLICY): Escalation {
  const elapsedMs = Math.max(0, now - new Date(startedAt).getTime());
  const level = levelAt(elapsedMs, policy);
  return { level, asks: LEVEL_ASKS[level], elapsedMs, nextLevelInMs: untilNextLevel(elapsedMs, policy) };
}

/** "18 min", "1 h 05 min", "42 s" */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** Live clock text: "17:42" (mm:ss) under an hour, "1:05:09" above. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * The policy in force: ESCALATION_L2_MINUTES / ESCALATION_L3_MINUTES when set, else the runbook
 * file's Escalation Procedure ("Level 2 (15-30 min)" starts level 2 at 15), else 15 and 30.
 */
export function policyFrom(
  e: { ESCALATION_L2_MINUTES?: number; ESCALATION_L3_MINUTES?: number },
  runbook: readonly { level: Level; fromMinutes: number }[] = [],
): EscalationPolicy {
  const fromFile = (level: Level) => runbook.find((l) => l.level === level)?.fromMinutes;
  return {
    l2Minutes: e.ESCALATION_L2_MINUTES ?? fromFile(2) ?? RUNBOOK_POLICY.l2Minutes,
    l3Minutes: e.ESCALATION_L3_MINUTES ?? fromFile(3) ?? RUNBOOK_POLICY.l3Minutes,
  };
}
