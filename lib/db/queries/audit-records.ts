/**
 * Reading audit rows back as hashed records. No server-only marker: `npm run audit:verify`
 * streams them too.
 */
import type postgres from "postgres";
import type { AuditRecord } from "../audit-entry.ts";

export type AuditRow = {
  seq: string;
  id: string;
  at: Date;
  actor_id: string | null;
  actor_email: string | null;
  actor_role: string | null;
  action: string;
  phase: string;
  intent_seq: string | null;
  outcome: string;
  reason: string | null;
  incident_ref: string | null;
  params: unknown;
  detail: unknown;
  request: unknown;
  prev_hash: string;
  hash: string;
};

export function toAuditRecord(r: AuditRow): AuditRecord {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at.toISOString(),
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    actorRole: r.actor_role,
    action: r.action,
    phase: r.phase as AuditRecord["phase"],
    intentSeq: r.intent_seq === null ? null : Number(r.intent_seq),
    outcome: r.outcome as AuditRecord["outcome"],
    reason: r.reason,
    incidentRef: r.incident_ref,
    params: r.params ?? null,
    detail: r.detail ?? null,
    request: r.request ?? null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Every entry in seq order, fetched in batches through a cursor (bounded memory). */
export async function* streamAuditRecords(sql: postgres.Sql, batch = 2000): AsyncGenerator<AuditRecord> {
  const cursor = sql<AuditRow[]>`select * from console.audit_log order by seq`.cursor(batch);
  for await (const rows of cursor) {
    for (const r of rows) yield toAuditRecord(r);
  }
}

export type AuditHead = { seq: number; hash: string; at: string };

/** The newest entry's seq, hash and time; null for an empty chain. */
export async function getAuditHead(sql: postgres.Sql): Promise<AuditHead | null> {
  const [row] = await sql<{ seq: string; hash: string; at: Date }[]>`select seq, hash, at from console.audit_log order by seq desc limit 1`;
  return row ? { seq: Number(row.seq), hash: row.hash, at: row.at.toISOString() } : null;
}
