/**
 * Values the console store keeps that the domain code (lib/recovery) also uses: a check's status
 * (check transitions, lib/db/queries/incidents.ts) and an incident's escalation level. They live
 * here, below both, so the data layer never imports lib/recovery (eslint.config.mjs keeps it so).
 */

/** A health check's status (lib/recovery/health/checks/types.ts). */
export type CheckStatus = "ok" | "warn" | "critical" | "unknown";

/** The runbook's escalation level (lib/recovery/incidents/escalation.ts). */
export type Level = 1 | 2 | 3;

/**
 * The health snapshot one instance evaluated, as the console store shares it with the others
 * (lib/db/queries/shared-snapshot.ts). `snapshot` is the JSON the evaluating instance wrote
 * (lib/recovery/health/snapshot.ts checks its shape); `ageMs` is measured by the store's clock since
 * it was written.
 */
export type SharedSnapshotRow = { snapshot: unknown; generatedAt: string; evaluatedBy: string; revision: number; ageMs: number };
