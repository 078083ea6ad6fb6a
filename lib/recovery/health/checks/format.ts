/** Small helpers shared by the checks: ages in words, plurals, the "not configured" reading. */
import type { CheckReading, NotConfiguredDetail } from "./types.ts";

export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A check whose source is not configured: `unknown` with the summary "not configured" and no
 * error, since nothing failed. `hint` names the variable to set.
 */
export function notConfigured(hint: string): CheckReading<NotConfiguredDetail> {
  return { status: "unknown", value: null, unit: "", summary: "not configured", threshold: "", detail: { configured: false, hint } };
}
