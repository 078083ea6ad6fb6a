import "server-only";
/**
 * The one function that writes audit entries.
 *
 * The log is a hash chain: hash = SHA-256(prev_hash || canonicalJson(body)), where body is
 * every column of the entry except `hash` and `prev_hash` (see canonical-json.ts for the
 * format). `seq` is gap-free: it is assigned under a transaction-scoped advisory lock, so
 * writers in several console instances are serialised and the chain never forks.
 *
 * Audit is never best-effort: appendAudit throws when the entry cannot be written, and
 * callers must not perform the effect in that case (see guarded-action.ts). Pass `tx` to
 * write the entry in the same transaction as a change to the console store.
 */
import { createHash, randomUUID } from "node:crypto";
import { withConsole, type Sql } from "../db/client.ts";
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

const json = (tx: Sql, v: unknown) => (v === null ? null : tx.json(v as never));

async function appendIn(tx: Sql, input: AuditInput): Promise<AuditRecord> {
  await tx`select pg_advisory_xact_lock(hashtext('recovery-console:audit-chain'))`;
  const [head] = await tx<{ seq: string; hash: string }[]>`
    select seq, hash from console.audit_log order by seq desc limit 1`;
  const seq = head ? Number(head.seq) + 1 : 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  // Millisecond precision, as stored (timestamptz(3)), so the verifier rehashes the same text.
  const at = new Date(Math.floor(Date.now()));
  const body = buildBody(input, seq, randomUUID(), at);
  const hash = hashEntry(prevHash, body);
  await tx`
    insert into console.audit_log
      (seq, id, at, actor_id, actor_email, actor_role, action, phase, intent_seq, outcome,
       reason, incident_ref, params, detail, request, prev_hash, hash)
    values
      (${seq}, ${body.id}, ${body.at}, ${body.actorId}, ${body.actorEmail}, ${body.actorRole}, ${body.action},
       ${body.phase}, ${body.intentSeq}, ${body.outcome}, ${body.reason}, ${body.incidentRef},
       ${json(tx, body.params)}, ${json(tx, body.detail)}, ${json(tx, body.request)},
       ${prevHash}, ${hash})`;
  return { ...body, prevHash, hash };
}

/**
 * Append one entry. With `tx`, it joins that transaction (commit together or not at all);
 * otherwise it runs in its own. Throws if the entry cannot be written.
 */
export async function appendAudit(input: AuditInput, opts: { tx?: Sql; timeoutMs?: number } = {}): Promise<AuditRecord> {
  if (opts.tx) return appendIn(opts.tx, input);
  return withConsole((sql) => sql.begin((tx) => appendIn(tx as unknown as Sql, input)) as Promise<AuditRecord>, {
    timeoutMs: opts.timeoutMs ?? 5000,
  });
}
