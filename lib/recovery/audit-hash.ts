/**
 * The audit entry's shape and its hash, with no database or server dependency: shared by the
 * writer (audit.ts), the verifier (audit-chain.ts, npm run audit:verify) and tests.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";

export const GENESIS_HASH = "0".repeat(64);

export type AuditOutcome =
  | "pending"
  | "succeeded"
  | "partial"
  | "failed"
  | "timeout_unknown"
  | "denied"
  | "refused"
  | "throttled";

export type AuditPhase = "intent" | "outcome" | "event";

export type AuditActor = { id?: string | null; email?: string | null; role?: string | null };

export type RequestMeta = { requestId?: string; ip?: string | null; userAgent?: string | null; path?: string };

export type AuditInput = {
  actor: AuditActor | null;
  action: string;
  phase?: AuditPhase;
  intentSeq?: number | null;
  outcome: AuditOutcome;
  reason?: string | null;
  incidentRef?: string | null;
  params?: unknown;
  detail?: unknown;
  request?: RequestMeta | null;
};

/** An entry as stored and as hashed (hash and prevHash aside). */
export type AuditBody = {
  seq: number;
  id: string;
  at: string;
  actorId: string | null;
  actorEmail: string | null;
  actorRole: string | null;
  action: string;
  phase: AuditPhase;
  intentSeq: number | null;
  outcome: AuditOutcome;
  reason: string | null;
  incidentRef: string | null;
  params: unknown;
  detail: unknown;
  request: unknown;
};

export type AuditRecord = AuditBody & { prevHash: string; hash: string };

export function hashEntry(prevHash: string, body: AuditBody): string {
  return createHash("sha256").update(prevHash).update(canonicalJson(body)).digest("hex");
}

/** JSON values exactly as jsonb will hand them back (drops undefined, turns Dates into strings). */
function jsonValue(v: unknown): unknown {
  return v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown);
}

export function buildBody(input: AuditInput, seq: number, id: string, at: Date): AuditBody {
  return {
    seq,
    id,
    at: at.toISOString(),
    actorId: input.actor?.id ?? null,
    actorEmail: input.actor?.email ?? null,
    actorRole: input.actor?.role ?? null,
    action: input.action,
    phase: input.phase ?? "event",
    intentSeq: input.intentSeq ?? null,
    outcome: input.outcome,
    reason: input.reason ?? null,
    incidentRef: input.incidentRef ?? null,
    params: jsonValue(input.params),
    detail: jsonValue(input.detail),
    request: jsonValue(input.request),
  };
}

