/**
 * Large audit fixtures, fast: entries hashed in JS exactly as appendAudit hashes them, inserted
 * straight into the table in batches (one unnest insert per batch). For scratch databases only;
 * the console writes through appendAudit.
 */
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { buildBody, GENESIS_HASH, hashEntry, type AuditInput, type AuditRecord } from "../../lib/recovery/audit/hash.ts";

export type SeedInput = AuditInput & { at?: Date };

/** Append `count` entries after the current head; returns every record when `keep` (small seeds). */
export async function seedAuditEntries(
  sql: postgres.Sql,
  count: number,
  make: (i: number) => SeedInput,
  opts: { batch?: number; keep?: boolean } = {},
): Promise<{ last: AuditRecord | null; records: AuditRecord[] }> {
  const [head] = await sql<{ seq: string; hash: string }[]>`select seq, hash from console.audit_log order by seq desc limit 1`;
  let seq = head ? Number(head.seq) : 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  let last: AuditRecord | null = null;
  const records: AuditRecord[] = [];
  const batch = opts.batch ?? 5000;
  for (let start = 0; start < count; start += batch) {
    const cols = {
      seq: [] as string[],
      id: [] as string[],
      at: [] as string[],
      actorId: [] as (string | null)[],
      actorEmail: [] as (string | null)[],
      actorRole: [] as (string | null)[],
      action: [] as string[],
      phase: [] as string[],
      intentSeq: [] as (string | null)[],
      outcome: [] as string[],
      reason: [] as (string | null)[],
      incidentRef: [] as (string | null)[],
      params: [] as (string | null)[],
      detail: [] as (string | null)[],
      request: [] as (string | null)[],
      prevHash: [] as string[],
      hash: [] as string[],
    };
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const input = make(i);
      seq++;
      const body = buildBody(input, seq, randomUUID(), new Date(Math.floor((input.at ?? new Date()).getTime())));
      const hash = hashEntry(prevHash, body);
      const record: AuditRecord = { ...body, prevHash, hash };
      if (opts.keep) records.push(record);
      last = record;
      cols.seq.push(String(seq));
      cols.id.push(body.id);
      cols.at.push(body.at);
      cols.actorId.push(body.actorId);
      cols.actorEmail.push(body.actorEmail);
      cols.actorRole.push(body.actorRole);
      cols.action.push(body.action);
      cols.phase.push(body.phase);
      cols.intentSeq.push(body.intentSeq === null ? null : String(body.intentSeq));
      cols.outcome.push(body.outcome);
      cols.reason.push(body.reason);
      cols.incidentRef.push(body.incidentRef);
      cols.params.push(body.params === null ? null : JSON.stringify(body.params));
      cols.detail.push(body.detail === null ? null : JSON.stringify(body.detail));
      cols.request.push(body.request === null ? null : JSON.stringify(body.request));
      cols.prevHash.push(prevHash);
      cols.hash.push(hash);
      prevHash = hash;
    }
    const arr = (v: (string | null)[]) => sql.array(v as string[], 25);
    await sql`
      insert into console.audit_log
        (seq, id, at, actor_id, actor_email, actor_role, action, phase, intent_seq, outcome, reason, incident_ref, params, detail, request, prev_hash, hash)
      select seq::bigint, id::uuid, at::timestamptz, actor_id, actor_email, actor_role, action, phase, intent_seq::bigint, outcome, reason, incident_ref,
             params::jsonb, detail::jsonb, request::jsonb, prev_hash, hash
      from unnest(${arr(cols.seq)}, ${arr(cols.id)}, ${arr(cols.at)}, ${arr(cols.actorId)}, ${arr(cols.actorEmail)}, ${arr(cols.actorRole)},
                  ${arr(cols.action)}, ${arr(cols.phase)}, ${arr(cols.intentSeq)}, ${arr(cols.outcome)}, ${arr(cols.reason)}, ${arr(cols.incidentRef)},
                  ${arr(cols.params)}, ${arr(cols.detail)}, ${arr(cols.request)}, ${arr(cols.prevHash)}, ${arr(cols.hash)})
        as u(seq, id, at, actor_id, actor_email, actor_role, action, phase, intent_seq, outcome, reason, incident_ref, params, detail, request, prev_hash, hash)`;
  }
  return { last, records };
}
