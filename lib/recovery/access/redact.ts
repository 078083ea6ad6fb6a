/**
 * Least data (issue 12, point 9): the health snapshot is evaluated once and shared by every viewer
 * (lib/recovery/health/snapshot.ts), so it keeps everything; what a caller may see is cut here, per caller,
 * when the data layer (lib/recovery/data.ts) hands it out. Callers without `health.details`
 * (viewers, auditors, the API token) get statuses, values and the rest of the details, but not other
 * sessions' SQL text, database user names or client addresses.
 *
 * By field name, across every check's detail, so a future check that lists pg_stat_activity rows
 * under these names is covered too. The fields removed are named in `detail.hidden`, so the UI can
 * say why a column is missing. Pure: unit-tested in tests/unit/redact.test.ts.
 */
import type { CheckResult } from "../health/checks/types.ts";

/** Detail fields only `health.details` may see: SQL text, database user names, client addresses. */
export const DETAIL_ONLY_FIELDS: ReadonlySet<string> = new Set(["query", "user", "usename", "client", "client_addr", "clientAddr"]);

/** What `detail.hidden` lists after redaction (the fields that were there and were removed). */
export type HiddenFields = string[];

function scrub(value: unknown, removed: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => scrub(v, removed));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (DETAIL_ONLY_FIELDS.has(k)) {
      removed.add(k);
      continue;
    }
    out[k] = scrub(v, removed);
  }
  return out;
}

/** The check as this caller may see it. */
export function redactCheck(check: CheckResult, canSeeDetails: boolean): CheckResult {
  if (canSeeDetails) return check;
  const removed = new Set<string>();
  const detail = scrub(check.detail, removed) as Record<string, unknown>;
  if (removed.size === 0) return check;
  return { ...check, detail: { ...detail, hidden: [...removed].sort() satisfies HiddenFields } };
}

/** A snapshot (or anything carrying checks) as this caller may see it. */
export function redactChecks<S extends { checks: CheckResult[] }>(snapshot: S, canSeeDetails: boolean): S {
  if (canSeeDetails) return snapshot;
  return { ...snapshot, checks: snapshot.checks.map((c) => redactCheck(c, canSeeDetails)) };
}
