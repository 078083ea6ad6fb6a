import "server-only";
/**
 * Narrow, named reads of the trading DB. SQL mirrors the runbook's monitoring queries so the
 * numbers equal what an engineer gets from psql at the same moment.
 */
import type postgres from "postgres";
import { withTrading, type Sql } from "../client.ts";

/** Runbook "Recent signals", plus the age of the newest signal for the panel's detail. */
export async function countRecentSignals({ windowSeconds }: { windowSeconds: number }): Promise<{ count: number; newestAgeSeconds: number | null }> {
  const [row] = await withTrading((sql) => recentSignalsQuery(sql, { windowSeconds }));
  return { count: row?.count ?? 0, newestAgeSeconds: row?.newest_age_s ?? null };
}

/** The SQL of countRecentSignals (exported, like every monitoring read here, so tests and the bench EXPLAIN exactly it). */
export function recentSignalsQuery(sql: Sql, { windowSeconds }: { windowSeconds: number }) {
  return sql<{ count: number; newest_age_s: number | null }[]>`
    select
      (select count(*) from signal_outbox
        where created_at > now() - make_interval(secs => ${windowSeconds}))::int as count,
      (select extract(epoch from now() - max(created_at)) from signal_outbox)::float8 as newest_age_s`;
}

/**
 * Optional columns of the trading tables, discovered once (and re-read every 5 minutes), so
 * queries can show `symbol` or `error` where they exist and still work where they do not.
 */
type Columns = Record<"signal_outbox" | "trade_directives" | "execution_events", Set<string>>;
let columnsCache: { at: number; value: Promise<Columns> } | null = null;

export function tradingColumns(): Promise<Columns> {
  if (columnsCache && Date.now() - columnsCache.at < 5 * 60_000) return columnsCache.value;
  const value = withTrading(
    (sql) => sql<{ table_name: keyof Columns; column_name: string }[]>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and table_name in ('signal_outbox', 'trade_directives', 'execution_events')`,
  ).then((rows) => {
    const cols: Columns = { signal_outbox: new Set(), trade_directives: new Set(), execution_events: new Set() };
    for (const r of rows) cols[r.table_name].add(r.column_name);
    return cols;
  });
  columnsCache = { at: Date.now(), value };
  value.catch(() => (columnsCache = null));
  return value;
}

export type StaleDirective = { id: string; createdAt: string; ageSeconds: number; symbol: string | null };

/**
 * Runbook "Pending directives":
 *   SELECT COUNT(*) FROM trade_directives WHERE status = 'pending' AND created_at < NOW() - INTERVAL '10 minutes';
 * with the window from STALE_DIRECTIVE_SECONDS. Returns the total and the oldest `limit` rows.
 * Ids are strings: bigint ids may exceed JavaScript's safe integers.
 */
export async function getStalePendingDirectives({
  olderThanSeconds,
  limit,
}: {
  olderThanSeconds: number;
  limit: number;
}): Promise<{ count: number; rows: StaleDirective[] }> {
  const cols = await tradingColumns();
  const symbol = cols.trade_directives.has("symbol");
  const rows = await withTrading((sql) => stalePendingQuery(sql, { olderThanSeconds, limit, symbol }));
  return {
    count: rows[0]?.total ?? 0,
    rows: rows.map((r) => ({ id: r.id, createdAt: r.created_at.toISOString(), ageSeconds: r.age_s, symbol: r.symbol })),
  };
}

/**
 * The count and the oldest rows in one statement (one round trip): `count(*) over ()` is computed
 * over every row the WHERE keeps, before the LIMIT, so it is the runbook query's count. No row, no
 * count: then it is 0.
 */
export function stalePendingQuery(sql: Sql, { olderThanSeconds, limit, symbol }: { olderThanSeconds: number; limit: number; symbol: boolean }) {
  return sql<{ id: string; created_at: Date; age_s: number; symbol: string | null; total: number }[]>`
    select id::text as id, created_at, extract(epoch from now() - created_at)::float8 as age_s,
           ${symbol ? sql`symbol::text` : sql`null::text`} as symbol,
           (count(*) over ())::int as total
    from trade_directives
    where status = 'pending' and created_at < now() - make_interval(secs => ${olderThanSeconds})
    order by created_at
    limit ${limit}`;
}

export type IdleSession = {
  pid: number;
  /** Always the trading database: sessions in other databases of the same server are not listed. */
  database: string;
  backendStart: string;
  /** backend_start in microseconds since the epoch, exact: identifies the session, not just the pid. */
  backendStartUs: string;
  user: string | null;
  application: string | null;
  client: string | null;
  state: string;
  idleSeconds: number;
  xactSeconds: number | null;
  /** Since query_start: the runbook's own measure, shown beside ours. */
  querySeconds: number | null;
  query: string;
  /** Why the console will not terminate it, if it will not. */
  excluded: null | "console" | "superuser" | "not_client_backend";
};

/**
 * Runbook scenario 3, step 2 selects `state = 'idle in transaction' AND query_start < now() - 10 min`.
 * We refine it (and show both ages): idleness is measured from `state_change`, when the session went
 * idle, not from `query_start`, because a long query that has just finished is not a stale session.
 * Only sessions in the trading database (`datname = current_database()`): other databases on the
 * same server are someone else's. Superusers', the console's own and non-client backends are listed
 * with the reason they are excluded from termination (pghero's kill scoping).
 */
export async function getIdleInTransactionSessions({ olderThanSeconds }: { olderThanSeconds: number }): Promise<IdleSession[]> {
  const rows = await withTrading((sql) => sql<IdleRow[]>`${idleSessionsQuery(sql, olderThanSeconds)} order by a.state_change`);
  return rows.map(toIdleSession);
}

type IdleRow = {
  pid: number;
  datname: string;
  backend_start: Date;
  backend_start_us: string;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  state: string;
  idle_s: number;
  xact_s: number | null;
  query_s: number | null;
  query: string;
  is_console: boolean;
  is_superuser: boolean;
  backend_type: string;
};

/**
 * The console's own sessions, which neither the preview nor the kill touches: this connection, and
 * every backend of the role the console connects as. Not `application_name`, which any client sets
 * to what it likes (a session named `recovery-console…` would become unkillable): a role is proven
 * by authentication. So the console should connect with a role of its own (docs/operations.md, "Pointing the
 * console at an existing DistortSignals database"); sessions of applications sharing it are not
 * terminated. Shared with the kill's own statement (lib/recovery/actions/kill-idle-transactions.ts).
 */
export function isConsoleBackend(sql: Sql) {
  return sql`(a.pid = pg_backend_pid() or a.usesysid = (select oid from pg_roles where rolname = current_user))`;
}

function idleSessionsQuery(sql: Sql, olderThanSeconds: number) {
  return sql`
    select a.pid, a.datname, a.backend_start, (extract(epoch from a.backend_start) * 1000000)::bigint::text as backend_start_us, a.usename, a.application_name, a.client_addr::text as client_addr, a.state,
           extract(epoch from now() - a.state_change)::float8 as idle_s,
           extract(epoch from now() - a.xact_start)::float8 as xact_s,
           extract(epoch from now() - a.query_start)::float8 as query_s,
           left(a.query, 500) as query,
           ${isConsoleBackend(sql)} as is_console,
           coalesce(r.rolsuper, false) as is_superuser,
           a.backend_type
    from pg_stat_activity a
    left join pg_roles r on r.oid = a.usesysid
    where a.state = 'idle in transaction'
      and a.datname = current_database()
      and a.state_change < now() - make_interval(secs => ${olderThanSeconds})`;
}

function toIdleSession(r: IdleRow): IdleSession {
  return {
    pid: r.pid,
    database: r.datname,
    backendStart: r.backend_start.toISOString(),
    backendStartUs: r.backend_start_us,
    user: r.usename,
    application: r.application_name,
    client: r.client_addr,
    state: r.state,
    idleSeconds: r.idle_s,
    xactSeconds: r.xact_s,
    querySeconds: r.query_s,
    query: r.query,
    // Superuser first: a DBA's session is never touched, whatever role the console runs as.
    excluded: r.is_superuser ? "superuser" : r.is_console ? "console" : r.backend_type !== "client backend" ? "not_client_backend" : null,
  };
}

/** Longest SQL text read from pg_stat_activity for a long-running query (the preview shows less). */
export const LONG_QUERY_TEXT_CHARS = 500;

export type LongQuery = {
  pid: number;
  database: string;
  /** backend_start in microseconds since the epoch, exact: identifies the session, not just the pid. */
  backendStartUs: string;
  /** query_start in microseconds since the epoch, exact: identifies this query, not the session's next one. */
  queryStartUs: string;
  user: string | null;
  application: string | null;
  client: string | null;
  runningSeconds: number;
  waitEvent: string | null;
  query: string;
  excluded: null | "console" | "superuser" | "not_client_backend";
};

/**
 * Runbook scenario 3, step 2, "Kill long-running queries if safe": active queries in the trading
 * database (`datname = current_database()`) running for more than `olderThanSeconds`, longest
 * first, each with why the console will not touch it (the same exclusions as the idle-transaction
 * kill: its own backends by pid and role, superusers, non-client backends).
 */
export async function getLongRunningQueries({ olderThanSeconds }: { olderThanSeconds: number }): Promise<LongQuery[]> {
  const rows = await withTrading(
    (sql) => sql<
      {
        pid: number;
        datname: string;
        backend_start_us: string;
        query_start_us: string;
        usename: string | null;
        application_name: string | null;
        client_addr: string | null;
        running_s: number;
        wait_event: string | null;
        query: string;
        is_console: boolean;
        is_superuser: boolean;
        backend_type: string;
      }[]
    >`
      select a.pid, a.datname,
             (extract(epoch from a.backend_start) * 1000000)::bigint::text as backend_start_us,
             (extract(epoch from a.query_start) * 1000000)::bigint::text as query_start_us,
             a.usename, a.application_name, a.client_addr::text as client_addr,
             extract(epoch from now() - a.query_start)::float8 as running_s,
             a.wait_event, left(a.query, ${LONG_QUERY_TEXT_CHARS}) as query,
             ${isConsoleBackend(sql)} as is_console,
             coalesce(r.rolsuper, false) as is_superuser,
             a.backend_type
      from pg_stat_activity a
      left join pg_roles r on r.oid = a.usesysid
      where a.state = 'active'
        and a.datname = current_database()
        and a.query_start < now() - make_interval(secs => ${olderThanSeconds})
      order by a.query_start
      limit 1000`,
  );
  return rows.map((r) => ({
    pid: r.pid,
    database: r.datname,
    backendStartUs: r.backend_start_us,
    queryStartUs: r.query_start_us,
    user: r.usename,
    application: r.application_name,
    client: r.client_addr,
    runningSeconds: r.running_s,
    waitEvent: r.wait_event,
    query: r.query,
    excluded: r.is_superuser ? "superuser" : r.is_console ? "console" : r.backend_type !== "client backend" ? "not_client_backend" : null,
  }));
}

/**
 * The condition that a target is still the very query the preview showed, still running, still in
 * scope: shared by the cancel, the wait and the terminate (lib/recovery/actions/cancel-long-queries.ts).
 */
export function sameLongQuery(sql: Sql, t: { pid: number; backendStartUs: string; queryStartUs: string }, olderThanSeconds: number) {
  return sql`
    a.pid = ${t.pid}
    and (extract(epoch from a.backend_start) * 1000000)::bigint = ${t.backendStartUs}::bigint
    and (extract(epoch from a.query_start) * 1000000)::bigint = ${t.queryStartUs}::bigint
    and a.state = 'active'
    and a.query_start < now() - make_interval(secs => ${olderThanSeconds})
    and a.datname = current_database()
    and not ${isConsoleBackend(sql)}
    and a.backend_type = 'client backend'
    and not coalesce((select r.rolsuper from pg_roles r where r.oid = a.usesysid), false)`;
}

/**
 * What the idle_transactions check reads, in one statement (one round trip, one pooled connection):
 * the sessions (getIdleInTransactionSessions) and the runbook's own count (scenario 3, step 2 as
 * written: idle measured from `query_start`, shown beside our state_change-based count so the two
 * can be compared), from the same view of pg_stat_activity.
 */
export async function getIdleInTransactionReport({
  olderThanSeconds,
}: {
  olderThanSeconds: number;
}): Promise<{ sessions: IdleSession[]; runbookCount: number }> {
  const rows = await withTrading(
    (sql) => sql<(Partial<IdleRow> & { runbook_count: number })[]>`
      with runbook as (
        select count(*)::int as runbook_count from pg_stat_activity
        where state = 'idle in transaction' and datname = current_database() and query_start < now() - make_interval(secs => ${olderThanSeconds})
      )
      select runbook.runbook_count, s.* from runbook
      left join (${idleSessionsQuery(sql, olderThanSeconds)}) s on true
      order by s.idle_s desc nulls last`,
  );
  return {
    runbookCount: rows[0]?.runbook_count ?? 0,
    sessions: rows.filter((r): r is IdleRow & { runbook_count: number } => r.pid != null).map(toIdleSession),
  };
}

export type FailedExecution = { id: string; createdAt: string; ageSeconds: number; directiveId: string | null; error: string | null; status: string };

/**
 * Runbook "Failed executions":
 *   SELECT * FROM execution_events WHERE status = 'failed' AND created_at > NOW() - INTERVAL '1 hour';
 * The count of that query, and its latest `limit` rows (newest first), with the optional columns
 * `directive_id` and `error` where the table has them.
 */
export async function getFailedExecutions({
  windowSeconds,
  limit,
}: {
  windowSeconds: number;
  limit: number;
}): Promise<{ count: number; rows: FailedExecution[] }> {
  const cols = await tradingColumns();
  const directive = cols.execution_events.has("directive_id");
  const error = cols.execution_events.has("error");
  const rows = await withTrading((sql) => failedExecutionsQuery(sql, { windowSeconds, limit, directive, error }));
  return {
    count: rows[0]?.total ?? 0,
    rows: rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at.toISOString(),
      ageSeconds: r.age_s,
      directiveId: r.directive_id,
      error: r.error,
      status: r.status,
    })),
  };
}

/** The runbook query's count and its latest rows, in one statement (see stalePendingQuery). */
export function failedExecutionsQuery(sql: Sql, o: { windowSeconds: number; limit: number; directive: boolean; error: boolean }) {
  return sql<{ id: string; created_at: Date; age_s: number; directive_id: string | null; error: string | null; status: string; total: number }[]>`
    select id::text as id, created_at, extract(epoch from now() - created_at)::float8 as age_s, status,
           ${o.directive ? sql`directive_id::text` : sql`null::text`} as directive_id,
           ${o.error ? sql`left(error::text, 300)` : sql`null::text`} as error,
           (count(*) over ())::int as total
    from execution_events
    where status = 'failed' and created_at > now() - make_interval(secs => ${o.windowSeconds})
    order by created_at desc
    limit ${o.limit}`;
}

/** Age of the newest execution_events row (any status), or null when the table is empty. */
export async function getNewestExecutionEventAge(): Promise<number | null> {
  const [row] = await withTrading((sql) => newestExecutionEventQuery(sql));
  return row?.age_s ?? null;
}

export function newestExecutionEventQuery(sql: Sql) {
  return sql<{ age_s: number | null }[]>`select extract(epoch from now() - max(created_at))::float8 as age_s from execution_events`;
}

export type ConnectionsByState = {
  /** The runbook's rows: `SELECT count(*), state FROM pg_stat_activity GROUP BY state`. */
  byState: { state: string | null; count: number; clientBackends: number }[];
  total: number;
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16+; 0 before): slots for roles with pg_use_reserved_connections. */
  reservedConnections: number;
  /**
   * Whether our role sees every session's state. Without pg_read_all_stats (or pg_monitor),
   * PostgreSQL hides the state of other users' sessions, and they are grouped under null.
   */
  seesAllSessions: boolean;
};

/**
 * Runbook scenario 3, step 1:
 *   SELECT count(*), state FROM pg_stat_activity GROUP BY state;
 * plus max_connections. `count` is exactly the runbook's column; `clientBackends` is the part of
 * it that counts against max_connections (the rest are background processes, state null).
 */
export async function getConnectionsByState(): Promise<ConnectionsByState> {
  // One statement: the runbook's rows, each carrying the settings (pg_stat_activity always has at
  // least our own row).
  const rows = await withTrading(
    (sql) => sql<
      { state: string | null; count: number; client_backends: number; max_connections: number; reserved: number; reserved_roles: number; sees_all: boolean }[]
    >`
      select state, count(*)::int as count, (count(*) filter (where backend_type = 'client backend'))::int as client_backends,
             current_setting('max_connections')::int as max_connections,
             current_setting('superuser_reserved_connections')::int as reserved,
             coalesce(current_setting('reserved_connections', true), '0')::int as reserved_roles,
             pg_has_role('pg_read_all_stats', 'usage') as sees_all
      from pg_stat_activity group by state order by count(*) desc, state`,
  );
  const settings = rows[0]!;
  return {
    byState: rows.map((r) => ({ state: r.state, count: r.count, clientBackends: r.client_backends })),
    total: rows.reduce((n, r) => n + r.count, 0),
    maxConnections: settings.max_connections,
    superuserReserved: settings.reserved,
    reservedConnections: settings.reserved_roles,
    seesAllSessions: settings.sees_all,
  };
}

/**
 * Signals per minute over the last `minutes` minutes (the current one included), for the
 * signals sparkline. One range scan of the created_at index, grouped with date_trunc; empty
 * minutes are 0.
 */
export async function getSignalsPerMinute({ minutes, timeoutMs }: { minutes: number; timeoutMs?: number }): Promise<{ minute: string; count: number }[]> {
  const rows = await withTrading((sql) => signalsPerMinuteQuery(sql, minutes), { timeoutMs });
  return rows.map((r) => ({ minute: r.minute.toISOString(), count: r.count }));
}

/** The rollup's SQL (exported so a test can EXPLAIN exactly this query). */
export function signalsPerMinuteQuery(sql: Sql, minutes: number) {
  return sql<{ minute: Date; count: number }[]>`
    with bounds as (select date_trunc('minute', now()) as last, date_trunc('minute', now()) - make_interval(mins => ${minutes - 1}) as first),
    counted as (
      select date_trunc('minute', created_at) as minute, count(*)::int as count
      from signal_outbox
      where created_at >= (select first from bounds)
      group by 1
    )
    select m as minute, coalesce(c.count, 0)::int as count
    from bounds, generate_series(bounds.first, bounds.last, interval '1 minute') m
    left join counted c on c.minute = m
    order by m`;
}

export type MonitoringQuery = {
  /** e.g. "executions_failed.rows" */
  id: string;
  /** The check that runs it (its id), or "history" for the sparkline's rollup. */
  check: string;
  /** Where the SQL comes from. */
  source: string;
  /** A query fragment: await it to run it, or embed it (`explain ${q}`). */
  build(sql: Sql): postgres.Fragment;
};
