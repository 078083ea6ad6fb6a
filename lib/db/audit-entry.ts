/**
 * An audit entry as the console store holds it, typed from the table (lib/db/schema/console.ts):
 * the store's layer owns the entry's shape, and the audit code above it (lib/recovery/audit/)
 * imports it from here. Also the read filters' shape, which the queries take. Types and plain
 * constants only: the client filter form imports this module too.
 */
import type { auditLog } from "./schema/console.ts";

export const AUDIT_OUTCOMES = ["pending", "succeeded", "partial", "failed", "timeout_unknown", "denied", "refused", "throttled"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_PHASES = ["intent", "outcome", "event"] as const;
export type AuditPhase = (typeof AUDIT_PHASES)[number];

/** An entry with every column, `at` as ISO 8601 UTC with milliseconds (the text it is hashed in). */
export type AuditRecord = Omit<typeof auditLog.$inferSelect, "at"> & { at: string };

/** What is hashed: every column except `hash` and `prev_hash`. */
export type AuditBody = Omit<AuditRecord, "prevHash" | "hash">;

/** The intents whose outcome was never written (the review's `outcome=unknown`). */
export const OUTCOME_UNKNOWN = "unknown";
export type OutcomeFilter = AuditOutcome | typeof OUTCOME_UNKNOWN;

/** The review's filters, parsed (lib/recovery/audit/filters.ts parses them from a URL). */
export type AuditFilters = {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  outcome?: OutcomeFilter;
  incident?: string;
  q?: string;
};

export type AuditPage = { before?: number; after?: number; limit: number };

/** Escape LIKE wildcards so that `q` matches literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
