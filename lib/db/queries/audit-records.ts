/**
 * Reading audit rows back as hashed records (the columns: lib/db/audit-columns.ts). No
 * server-only marker: `npm run audit:verify` streams them too.
 */
import type postgres from "postgres";
import { toAuditRecord } from "../audit-columns.ts";
import type { AuditRecord } from "../audit-entry.ts";

export { toAuditRecord };

/** A row of console.audit_log as postgres.js hands it back (converted by toAuditRecord). */
export type AuditRow = Record<string, unknown> & { seq: string; phase: string };

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

/** Entry 1's id and hash: the chain's identity (anchors name it); null for an empty chain. */
export async function getAuditGenesis(sql: postgres.Sql): Promise<{ id: string; hash: string } | null> {
  const [row] = await sql<{ id: string; hash: string }[]>`select id, hash from console.audit_log where seq = 1`;
  return row ?? null;
}
