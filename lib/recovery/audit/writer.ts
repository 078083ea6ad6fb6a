import "server-only";
/**
 * The one function that writes audit entries.
 *
 * The log is a hash chain: hash = SHA-256(prev_hash || canonicalJson(body)), where body is
 * every column of the entry except `hash` and `prev_hash` (see canonical-json.ts for the
 * format). `seq` is gap-free and the chain never forks, with writers in several console
 * instances: every append holds one transaction-scoped advisory lock (the chain lock) while its
 * rows go in, and `seq` is the primary key, so two entries can never claim the same place.
 *
 * Two ways in. An append that joins the caller's transaction (`tx`) takes the lock, then reads
 * the head, then inserts (appendIn). Every other append is one statement, committed on its own
 * (appendAfter): its entries are chained, in this process, after the head this process last
 * wrote or read, and the statement takes the lock and inserts them only if that head is still
 * there; when another writer has moved the head meanwhile, the primary key refuses the entry
 * (or the head check inserts nothing), the head is read again and the entries re-chained. One
 * round trip per append in the usual case, instead of four (BEGIN, lock and head, INSERT, COMMIT).
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

/** At most this many entries share one statement (one lock, one insert, one commit). */
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
  // In this order: a postgres.js query is sent when first awaited, and Promise.all awaits in order.
  const [, heads] = await Promise.all([tx`select pg_advisory_xact_lock(hashtext('recovery-console:audit-chain'))`, headQuery(tx)]);
  const records = chainAfter(headOf(heads), inputs);
  // The columns and their order come from the table (lib/db/audit-columns.ts).
  await tx`insert into console.audit_log ${tx(
    records.map((r) => toAuditRow(r, (v) => json(tx, v))) as never,
    AUDIT_COLUMNS.map((c) => c.name),
  )}`;
  return records;
}

/** The chain's head as this process last saw it: its own last committed append, or a read (null: read it first). */
let knownHead: Head | null = null;

type Head = { seq: number; hash: string };

/** This process's counts: statements refused because another writer had moved the head, and appends that took the transaction's way in after too many. */
export const appendStats = { staleHeads: 0, fallbacks: 0 };

/** How many times an append re-reads a head that another writer moved before it takes the transaction's way in. */
const MAX_OPTIMISTIC_TRIES = 8;

/** The head's row (not yet sent: a postgres.js query goes out when it is first awaited). */
const headQuery = (sql: Sql) => sql<{ seq: string; hash: string }[]>`select seq, hash from console.audit_log order by seq desc limit 1`;

const headOf = ([row]: { seq: string; hash: string }[]): Head => (row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH });

const readHead = async (sql: Sql): Promise<Head> => headOf(await headQuery(sql));

/** The entries' records, chained after `head`. */
function chainAfter(head: Head, inputs: AuditInput[]): AuditRecord[] {
  let seq = head.seq;
  let prevHash = head.hash;
  const records: AuditRecord[] = [];
  for (const input of inputs) {
    seq += 1;
    // Millisecond precision, as stored (timestamptz(3)), so the verifier rehashes the same text.
    const body = buildBody(input, seq, randomUUID(), new Date(Math.floor(Date.now())));
    const hash = hashEntry(prevHash, body);
    records.push({ ...body, prevHash, hash });
    prevHash = hash;
  }
  return records;
}

/**
 * One statement, committed on its own: `records` (chained after `head`) go in only if `head` is
 * still the chain's head. The chain lock is taken first, in the statement's one-time filter, before
 * any row is inserted, so this never lands between a `tx` append's head read and its insert
 * (which would fail the caller's transaction); it is released at the statement's commit.
 * `head` itself must still be there (or, for the first entry, no entry at all): a stale head can
 * never leave a gap. Nothing after it may be there: entry head.seq + 1 is refused by the primary
 * key (unique checks see every committed row, whatever the statement's snapshot).
 * Returns false, with nothing written, when another writer has moved the head.
 */
async function insertAfter(sql: Sql, head: Head, records: AuditRecord[]): Promise<boolean> {
  const rows = records.map((r) => toAuditRow(r, (v) => v));
  try {
    const result = await sql`
      insert into console.audit_log
      select r.* from jsonb_populate_recordset(null::console.audit_log, ${sql.json(rows as never)}) r
      where (select count(*) from (select pg_advisory_xact_lock(hashtext('recovery-console:audit-chain'))) l) = 1
        and ${
          head.seq === 0
            ? sql`not exists (select 1 from console.audit_log)`
            : sql`exists (select 1 from console.audit_log where seq = ${head.seq} and hash = ${head.hash})`
        }`;
    return result.count === records.length;
  } catch (err) {
    if ((err as { code?: string }).code === "23505" && (err as { constraint_name?: string }).constraint_name === "audit_log_pkey") return false;
    throw err;
  }
}

/**
 * Append `inputs` after the head, one statement per try: the head this process knows, else a
 * fresh read; when another writer moved it, read it again and re-chain. After MAX_OPTIMISTIC_TRIES
 * (a storm of writers in other instances), the transaction's way in, which always succeeds.
 */
async function appendAfter(inputs: AuditInput[], timeoutMs: number): Promise<AuditRecord[]> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  try {
    for (let i = 0; i < MAX_OPTIMISTIC_TRIES; i++) {
      const head = knownHead ?? (await withConsole(readHead, { timeoutMs: left(), idempotent: true }));
      const records = chainAfter(head, inputs);
      if (await withConsole((sql) => insertAfter(sql, head, records), { timeoutMs: left() })) {
        const last = records[records.length - 1]!;
        knownHead = { seq: last.seq, hash: last.hash };
        return records;
      }
      knownHead = null;
      appendStats.staleHeads++;
    }
    appendStats.fallbacks++;
    return await withConsole((sql) => sql.begin((tx) => appendIn(tx as unknown as Sql, inputs)) as Promise<AuditRecord[]>, { timeoutMs: left() });
  } catch (err) {
    // The outcome may be unknown (a deadline): read the head again next time.
    knownHead = null;
    throw err;
  }
}

type Waiting = { input: AuditInput; timeoutMs: number; resolve(r: AuditRecord): void; reject(err: unknown): void };

/**
 * Group commit for this process's own appends. Every entry waits for the commit of its
 * transaction, and entries are chained one transaction after another (the next needs the previous
 * hash, visible only once committed). So concurrent appends (several on-calls, sign-ins, the
 * evaluator) that each ran their own statement would queue behind one another's WAL flush. Instead,
 * what arrives while a statement is in flight goes into the next one, together: one statement (one
 * lock, one insert, one commit) for the lot. Each caller still gets its own record, or the error.
 */
const pending: Waiting[] = [];
let draining: Promise<void> | null = null;

function commit(batch: Waiting[]): Promise<AuditRecord[]> {
  return appendAfter(
    batch.map((w) => w.input),
    Math.min(...batch.map((w) => w.timeoutMs)),
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
  if (opts.tx) {
    // The caller's transaction moves the head once it commits (or not at all): this process reads it again.
    knownHead = null;
    return (await appendIn(opts.tx, [input]))[0]!;
  }
  return new Promise<AuditRecord>((resolve, reject) => {
    pending.push({ input, timeoutMs: opts.timeoutMs ?? 5000, resolve, reject });
    draining ??= drain().finally(() => {
      draining = null;
    });
  });
}
