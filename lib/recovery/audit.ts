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
import { randomUUID } from "node:crypto";
import { withConsole, type Sql } from "../db/client.ts";
import { buildBody, GENESIS_HASH, hashEntry, type AuditInput, type AuditRecord } from "./audit-hash.ts";

export { GENESIS_HASH, hashEntry, buildBody } from "./audit-hash.ts";
export type { AuditOutcome, AuditPhase, AuditActor, RequestMeta, AuditInput, AuditBody, AuditRecord } from "./audit-hash.ts";

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
