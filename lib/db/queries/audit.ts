import "server-only";
/**
 * The audit trail's reads: the review page (filters, keyset pagination on seq, an entry's
 * detail), the verification state, and long streaming reads (export, verification).
 *
 * Pagination is keyset on seq, newest first: `seq < before` / `seq > after`, `limit + 1` rows to
 * know whether there is more. No OFFSET and no count(*), so a page costs the same at seq 10 and at
 * seq 1,000,000; each filter has an index (see lib/db/schema/console.ts and
 * drizzle/console/0006_audit_reason_trgm.sql). Measured at 1M entries: every filter and page
 * under 100 ms, most under 10 ms.
 *
 * Long reads (an export, a verification) go through a cursor inside a read-only transaction on
 * one reserved connection, held through withConsole (the pool gate). At most two of them run at
 * once per process (fewer with a small CONSOLE_POOL_MAX), so exports cannot take every console
 * connection from sign-ins and audit writes; one more is refused with AuditBusyError, not queued.
 */
import type postgres from "postgres";
import { env } from "../../env.ts";
import type { AuditRecord } from "../audit-entry.ts";
import { likePattern, OUTCOME_UNKNOWN, type AuditFilters, type AuditPage } from "../audit-entry.ts";
import { holdConsoleSession, withConsole, type HeldSession, type Sql } from "../client.ts";
import { DbError, isDriverError, toDbError } from "../errors.ts";
import { Gate, GateTimeoutError } from "../gate.ts";
import { getAuditGenesis, getAuditHead, toAuditRecord, type AuditHead, type AuditRow } from "./audit-records.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** A seq interval that holds every entry matching the filters' time range. */
type SeqRange = { lo: number; hi: number };

/**
 * The time range as the exact seq range of the entries in it: min and max seq over the range,
 * an index-only scan on (at, seq) (about 1 ms for a day; 200 ms for all of a million entries).
 * `at` mostly grows with seq, but not strictly (instances' clocks differ), so this is computed,
 * not assumed. It turns "this week in March" into a primary-key range instead of a backward walk
 * from the head to March. `null`: nothing in the range; `undefined`: no time filter.
 */
async function seqRangeOf(sql: Sql, f: AuditFilters): Promise<SeqRange | null | undefined> {
  if (!f.from && !f.to) return undefined;
  // OFFSET 0 keeps the planner from answering min/max by walking the primary key from both ends
  // with a filter (its min/max rewrite), which crosses the whole table for an old, narrow range.
  const [r] = await sql<{ lo: string | null; hi: string | null }[]>`
    select min(seq) as lo, max(seq) as hi from (
      select seq from console.audit_log
      where ${f.from ? sql`at >= ${f.from}::timestamptz` : sql`true`} and ${f.to ? sql`at < ${f.to}::timestamptz` : sql`true`}
      offset 0
    ) r`;
  return r?.lo && r.hi ? { lo: Number(r.lo), hi: Number(r.hi) } : null;
}

/** The filters as one SQL condition on `console.audit_log a`. */
function filterSql(sql: Sql, f: AuditFilters, range?: SeqRange): Fragment {
  const parts: Fragment[] = [];
  if (range) parts.push(sql`a.seq between ${range.lo} and ${range.hi}`);
  if (f.from) parts.push(sql`a.at >= ${f.from}::timestamptz`);
  if (f.to) parts.push(sql`a.at < ${f.to}::timestamptz`);
  if (f.actor) parts.push(sql`a.actor_email = ${f.actor}`);
  if (f.action) parts.push(f.action.endsWith("*") ? sql`starts_with(a.action, ${f.action.slice(0, -1)})` : sql`a.action = ${f.action}`);
  if (f.outcome === OUTCOME_UNKNOWN) {
    parts.push(sql`a.phase = 'intent' and not exists (select 1 from console.audit_log o where o.intent_seq = a.seq and o.phase = 'outcome')`);
  } else if (f.outcome) {
    parts.push(sql`a.outcome = ${f.outcome}`);
  }
  if (f.incident) parts.push(sql`a.incident_ref = ${f.incident}`);
  if (f.q) parts.push(sql`a.reason ilike ${likePattern(f.q)}`);
  return parts.reduce((acc, p) => sql`${acc} and ${p}`, sql`true`);
}

/** What became of an intent: its outcome entry, if one was written. */
export type Resolution = { seq: number; outcome: string; at: string };

export type AuditListEntry = AuditRecord & {
  /** For an intent: its outcome entry, or null. */
  resolution: Resolution | null;
  /** An intent with no outcome entry: the effect may or may not have happened. */
  outcomeUnknown: boolean;
};

export type AuditList = {
  entries: AuditListEntry[];
  /** Cursor for the newer page (`after=`), or null when this is the newest. */
  newer: number | null;
  /** Cursor for the older page (`before=`), or null when there is nothing older. */
  older: number | null;
};

type ListRow = AuditRow & { resolution_seq: string | null; resolution_outcome: string | null; resolution_at: Date | null };

function toListEntry(r: ListRow): AuditListEntry {
  const resolution =
    r.resolution_seq === null ? null : { seq: Number(r.resolution_seq), outcome: r.resolution_outcome ?? "", at: r.resolution_at?.toISOString() ?? "" };
  return { ...toAuditRecord(r), resolution, outcomeUnknown: r.phase === "intent" && resolution === null };
}

function selectWithResolution(sql: Sql): Fragment {
  return sql`
    select a.*, r.seq as resolution_seq, r.outcome as resolution_outcome, r.at as resolution_at
    from console.audit_log a
    left join lateral (
      select o.seq, o.outcome, o.at from console.audit_log o
      where a.phase = 'intent' and o.intent_seq = a.seq and o.phase = 'outcome'
      order by o.seq limit 1
    ) r on true`;
}

/** One page of entries matching `filters`, newest first. */
export async function listAuditEntries({ filters, page }: { filters: AuditFilters; page: AuditPage }): Promise<AuditList> {
  return withConsole(async (sql) => {
    const range = await seqRangeOf(sql, filters);
    if (range === null) return { entries: [], newer: null, older: null };
    const where = filterSql(sql, filters, range);
    const n = page.limit + 1;
    // "Is there anything beyond this entry?" as an ordered probe, so it walks the key, never the table.
    const beyond = async (seq: number, dir: "older" | "newer") => {
      const rows =
        dir === "older"
          ? await sql`select a.seq from console.audit_log a where ${where} and a.seq < ${seq} order by a.seq desc limit 1`
          : await sql`select a.seq from console.audit_log a where ${where} and a.seq > ${seq} order by a.seq asc limit 1`;
      return rows.length > 0;
    };
    if (page.after !== undefined) {
      const rows = await sql<ListRow[]>`${selectWithResolution(sql)} where ${where} and a.seq > ${page.after} order by a.seq asc limit ${n}`;
      const more = rows.length > page.limit;
      const entries = rows.slice(0, page.limit).reverse().map(toListEntry);
      const last = entries.at(-1);
      const older = last && (await beyond(last.seq, "older")) ? last.seq : null;
      return { entries, newer: more ? (entries[0]?.seq ?? null) : null, older };
    }
    const rows =
      page.before !== undefined
        ? await sql<ListRow[]>`${selectWithResolution(sql)} where ${where} and a.seq < ${page.before} order by a.seq desc limit ${n}`
        : await sql<ListRow[]>`${selectWithResolution(sql)} where ${where} order by a.seq desc limit ${n}`;
    const more = rows.length > page.limit;
    const entries = rows.slice(0, page.limit).map(toListEntry);
    const first = entries[0];
    const newer = page.before !== undefined && first && (await beyond(first.seq, "newer")) ? first.seq : null;
    return { entries, newer, older: more ? (entries.at(-1)?.seq ?? null) : null };
  });
}

export type AuditEntryView = {
  entry: AuditListEntry;
  /** The previous entry's hash, for the link check; null for seq 1. */
  previousHash: string | null;
  /** For an outcome: its intent. For an intent: its outcome entries (normally one). */
  intent: Resolution | null;
  outcomes: Resolution[];
};

export async function getAuditEntry({ seq }: { seq: number }): Promise<AuditEntryView | null> {
  return withConsole(async (sql) => {
    const [row] = await sql<ListRow[]>`${selectWithResolution(sql)} where a.seq = ${seq}`;
    if (!row) return null;
    const entry = toListEntry(row);
    const [prev] = seq > 1 ? await sql<{ hash: string }[]>`select hash from console.audit_log where seq = ${seq - 1}` : [];
    const related = await sql<{ seq: string; outcome: string; at: Date; phase: string }[]>`
      select seq, outcome, at, phase from console.audit_log
      where (intent_seq = ${seq} and phase = 'outcome') or seq = ${entry.intentSeq ?? -1}
      order by seq`;
    const res = (r: (typeof related)[number]): Resolution => ({ seq: Number(r.seq), outcome: r.outcome, at: r.at.toISOString() });
    const intentRow = entry.intentSeq === null ? undefined : related.find((r) => Number(r.seq) === entry.intentSeq);
    return {
      entry,
      previousHash: seq === 1 ? null : (prev?.hash ?? null),
      intent: intentRow ? res(intentRow) : null,
      outcomes: entry.phase === "intent" ? related.filter((r) => r.phase === "outcome").map(res) : [],
    };
  });
}

export async function getHead(): Promise<AuditHead | null> {
  return withConsole((sql) => getAuditHead(sql), { timeoutMs: 3000 });
}

/** Entry 1's id and hash: the chain's identity, which its anchors name. */
export async function getGenesis(): Promise<{ id: string; hash: string } | null> {
  return withConsole((sql) => getAuditGenesis(sql), { timeoutMs: 3000 });
}

/** The most recent verification (from the UI or the CLI): its entry holds the result. */
export async function getLatestVerification(): Promise<AuditRecord | null> {
  return withConsole(
    async (sql) => {
      const [row] = await sql<AuditRow[]>`select * from console.audit_log where action = 'audit.verify' order by seq desc limit 1`;
      return row ? toAuditRecord(row) : null;
    },
    { timeoutMs: 3000 },
  );
}

/**
 * Distinct values of an indexed column, for the filter form's suggestions: a loose index scan
 * (one index probe per distinct value), so it stays cheap at a million rows.
 * https://wiki.postgresql.org/wiki/Loose_indexscan
 */
export async function listAuditFacets({ max = 200 }: { max?: number } = {}): Promise<{ actors: string[]; actions: string[] }> {
  return withConsole(
    async (sql) => {
      const [actors, actions] = await Promise.all([
        sql<{ v: string }[]>`
          with recursive t(v) as (
            (select actor_email from console.audit_log where actor_email is not null order by actor_email limit 1)
            union all
            select (select actor_email from console.audit_log where actor_email > t.v order by actor_email limit 1) from t where t.v is not null
          )
          select v from t where v is not null limit ${max}`,
        sql<{ v: string }[]>`
          with recursive t(v) as (
            (select action from console.audit_log order by action limit 1)
            union all
            select (select action from console.audit_log where action > t.v order by action limit 1) from t where t.v is not null
          )
          select v from t where v is not null limit ${max}`,
      ]);
      return { actors: actors.map((r) => r.v), actions: actions.map((r) => r.v) };
    },
    { timeoutMs: 3000 },
  );
}

// ── Long reads ───────────────────────────────────────────────────────────────────────────────

export class AuditBusyError extends Error {
  readonly code = "audit.busy";
  constructor() {
    super("Another export or verification is running on this console; try again in a moment.");
    this.name = "AuditBusyError";
  }
}

const g = globalThis as unknown as { __rcAuditLongReads?: Gate };

/** Leave at least two console connections to sign-ins and audit writes. */
function longReads(): Gate {
  g.__rcAuditLongReads ??= new Gate(Math.max(1, Math.min(2, env().CONSOLE_POOL_MAX - 2)));
  return g.__rcAuditLongReads;
}

export type AuditCursor = {
  /** Batches of entries in seq order; stopping early (return, break) ends the read. */
  batches: AsyncGenerator<AuditRecord[], void, undefined>;
  /** End the read and free the connection (idempotent; also done when `batches` finishes). */
  close(): Promise<void>;
};

const mapErr = (err: unknown) => (isDriverError(err) ? toDbError(err, "console") : err);

/**
 * Open a streaming read of the entries matching `filters` (all of them when none), in seq order.
 * The consumer's pace drives the cursor: one batch is fetched per pull, so memory stays bounded
 * by `batch` whatever the size of the log. `deadlineMs` is the read's statement_timeout (the
 * console's 5 s default would end any long read; a cursor counts as one statement).
 */
export async function openAuditCursor(opts: { filters?: AuditFilters; batch?: number; deadlineMs: number; fromSeq?: number }): Promise<AuditCursor> {
  let releaseSlot: () => void;
  try {
    releaseSlot = await longReads().acquire(50);
  } catch (err) {
    if (err instanceof GateTimeoutError) throw new AuditBusyError();
    throw err;
  }
  // A session of its own (holdConsoleSession), not a connection reserved from the pool: a store
  // restart during a long read must not leave a dead connection in the pool. It takes a pool slot
  // until the read is closed, and is ended at the deadline if the reader never closes it.
  let session: HeldSession;
  try {
    session = await holdConsoleSession();
  } catch (err) {
    releaseSlot();
    throw mapErr(err);
  }
  const conn = session.sql;
  const abandoned = setTimeout(() => void finish(), opts.deadlineMs + 10_000);
  abandoned.unref();

  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    clearTimeout(abandoned);
    if (!session.lost) await conn`rollback`.catch(() => {});
    await session.close();
    releaseSlot();
  };

  try {
    // One snapshot for the range probe and the cursor.
    await conn`begin isolation level repeatable read read only`;
    await conn`select set_config('statement_timeout', ${String(opts.deadlineMs)}, true)`;
  } catch (err) {
    await finish();
    throw mapErr(err);
  }

  const filters = opts.filters ?? {};
  async function* batches(): AsyncGenerator<AuditRecord[], void, undefined> {
    try {
      const range = await seqRangeOf(conn, filters);
      if (range === null) return;
      const from = opts.fromSeq ? conn`a.seq >= ${opts.fromSeq}` : conn`true`;
      const query = conn<AuditRow[]>`select * from console.audit_log a where ${filterSql(conn, filters, range)} and ${from} order by a.seq`;
      for await (const rows of query.cursor(opts.batch ?? 1000)) yield rows.map(toAuditRecord);
      // postgres.js can end a suspended cursor quietly when the server ends its session between two
      // batches (a DBA's pg_terminate_backend, a restart): an export that stopped early must fail,
      // never pass for the whole log.
      if (session.lost) throw new DbError("db.unavailable", "console", "the audit read's session ended before the end of the log");
    } catch (err) {
      throw mapErr(err);
    } finally {
      await finish();
    }
  }
  const it = batches();
  return {
    batches: it,
    close: async () => {
      await it.return(undefined);
      await finish();
    },
  };
}

/** The entries of a cursor one by one (for verifyChain). */
export async function* recordsOf(cursor: AuditCursor): AsyncGenerator<AuditRecord> {
  for await (const batch of cursor.batches) yield* batch;
}
