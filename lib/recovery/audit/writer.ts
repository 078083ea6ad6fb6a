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
 * callers must not perform the effect in that case (see lib/recovery/actions/pipeline.ts). Pass `tx` to
 * write the entry in the same transaction as a change to the console store.
 */
import { randomUUID } from "node:crypto";
import { withConsole, type Sql } from "../../db/client.ts";
import { AUDIT_COLUMNS, toAuditRow } from "../../db/audit-columns.ts";
import { DbError } from "../../db/errors.ts";
import { buildBody, GENESIS_HASH, hashEntry, type AuditInput, type AuditRecord } from "./hash.ts";

export { GENESIS_HASH, hashEntry, buildBody } from "./hash.ts";
export type { AuditOutcome, AuditPhase, AuditActor, RequestMeta, AuditInput, AuditBody, AuditRecord } from "./hash.ts";

const json = (tx: Sql, v: unknown) => (v === null ? null : tx.json(v as never));

/** At most this many entries share one transaction (one lock, one head read, one commit). */
const MAX_BATCH = 100;

/**
 * Append `inputs`, in order, after the chain's head, inside the caller's transaction.
 *
 * The lock and the head read are sent together (pipelined): the server runs the read only once
 * the lock is granted, and under READ COMMITTED that statement takes its own snapshot then, so it
 * sees the previous holder's committed entry. (One statement doing both would not: its snapshot
 * would predate the wait for the lock, and the chain could fork.) The entries go in with one
 * multi-row INSERT.
 */
async function appendIn(tx: Sql, inputs: AuditInput[]): Promise<AuditRecord[]> {
  const [, heads] = await Promise.all([
    tx`select pg_advisory_xact_lock(hashtext('recovery-console:audit-chain'))`,
    tx<{ seq: string; hash: string }[]>`select seq, hash from console.audit_log order by seq desc limit 1`,
  ]);
  const head = heads[0];
  let seq = head ? Number(head.seq) : 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const records: AuditRecord[] = [];
  for (const input of inputs) {
    seq += 1;
    // Millisecond precision, as stored (timestamptz(3)), so the verifier rehashes the same text.
    const body = buildBody(input, seq, randomUUID(), new Date(Math.floor(Date.now())));
    const hash = hashEntry(prevHash, body);
    records.push({ ...body, prevHash, hash });
    prevHash = hash;
  }
  // The columns and their order come from the table (lib/db/audit-columns.ts).
  await tx`insert into console.audit_log ${tx(
    records.map((r) => toAuditRow(r, (v) => json(tx, v))) as never,
    AUDIT_COLUMNS.map((c) => c.name),
  )}`;
  return records;
}

type Waiting = { input: AuditInput; timeoutMs: number; resolve(r: AuditRecord): void; reject(err: unknown): void };

/**
 * Group commit for this process's own appends. Every entry waits for the commit of its
 * transaction, and entries are chained one transaction after another (the next needs the previous
 * hash, visible only once committed). So concurrent appends (several on-calls, sign-ins, the
 * evaluator) that each ran their own transaction would queue behind one another's WAL flush. Instead,
 * what arrives while a transaction is in flight goes into the next one, together: one lock, one head
 * read, one insert, one commit for the lot. Each caller still gets its own record, or the error.
 */
const pending: Waiting[] = [];
let draining: Promise<void> | null = null;

function commit(batch: Waiting[]): Promise<AuditRecord[]> {
  return withConsole(
    (sql) =>
      sql.begin((tx) =>
        appendIn(
          tx as unknown as Sql,
          batch.map((w) => w.input),
        ),
      ) as Promise<AuditRecord[]>,
    {
      timeoutMs: Math.min(...batch.map((w) => w.timeoutMs)),
    },
  );
}

async function drain(): Promise<void> {
  while (pending.length) {
    const batch = pending.splice(0, MAX_BATCH);
    try {
      const records = await commit(batch);
      batch.forEach((w, i) => w.resolve(records[i]!));
    } catch (err) {
      // The server refused the transaction (it rolled back: nothing was written). If one entry's
      // content caused it, the others must not fail with it: write them one by one.
      if (batch.length > 1 && err instanceof DbError && err.code === "db.error") {
        for (const w of batch) await commit([w]).then(([r]) => w.resolve(r!), w.reject);
      } else {
        batch.forEach((w) => w.reject(err));
      }
    }
  }
}

/**
 * Append one entry. With `tx`, it joins that transaction (commit together or not at all);
 * otherwise it is committed before this resolves, possibly in one transaction with other entries
 * appended at the same moment. Throws if the entry cannot be written.
 */
export async function appendAudit(input: AuditInput, opts: { tx?: Sql; timeoutMs?: number } = {}): Promise<AuditRecord> {
  if (opts.tx) return (await appendIn(opts.tx, [input]))[0]!;
  return new Promise<AuditRecord>((resolve, reject) => {
    pending.push({ input, timeoutMs: opts.timeoutMs ?? 5000, resolve, reject });
    draining ??= drain().finally(() => {
      draining = null;
    });
  });
}
