import "server-only";
/**
 * Narrow, named reads of the trading DB. SQL mirrors the runbook's monitoring queries so the
 * numbers equal what an engineer gets from psql at the same moment.
 */
import { withTrading } from "../client.ts";

/** Runbook "Recent signals", plus the age of the newest signal for the panel's detail. */
export async function countRecentSignals({ windowSeconds }: { windowSeconds: number }): Promise<{ count: number; newestAgeSeconds: number | null }> {
  const [row] = await withTrading(
    (sql) => sql<{ count: number; newest_age_s: number | null }[]>`
      select
        (select count(*) from signal_outbox
          where created_at > now() - make_interval(secs => ${windowSeconds}))::int as count,
        (select extract(epoch from now() - max(created_at)) from signal_outbox)::float8 as newest_age_s`,
  );
  return { count: row?.count ?? 0, newestAgeSeconds: row?.newest_age_s ?? null };
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
export async function getStalePendingDirectives({ olderThanSeconds, limit }: { olderThanSeconds: number; limit: number }): Promise<{ count: number; rows: StaleDirective[] }> {
  const cols = await tradingColumns();
  const symbol = cols.trade_directives.has("symbol");
  return withTrading(async (sql) => {
    const [{ count }] = await sql<[{ count: number }]>`
      select count(*)::int as count from trade_directives
      where status = 'pending' and created_at < now() - make_interval(secs => ${olderThanSeconds})`;
    const rows = await sql<{ id: string; created_at: Date; age_s: number; symbol: string | null }[]>`
      select id::text as id, created_at, extract(epoch from now() - created_at)::float8 as age_s,
             ${symbol ? sql`symbol::text` : sql`null::text`} as symbol
      from trade_directives
      where status = 'pending' and created_at < now() - make_interval(secs => ${olderThanSeconds})
      order by created_at
      limit ${limit}`;
    return { count, rows: rows.map((r) => ({ id: r.id, createdAt: r.created_at.toISOString(), ageSeconds: r.age_s, symbol: r.symbol })) };
  });
}

export type IdleSession = {
  pid: number;
  backendStart: string;
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
 * The console's own backends, superusers' and non-client backends are listed with the reason they
 * are excluded from termination (pghero's kill scoping).
 */
export async function getIdleInTransactionSessions({ olderThanSeconds }: { olderThanSeconds: number }): Promise<IdleSession[]> {
  const rows = await withTrading(
    (sql) => sql<
      {
        pid: number;
        backend_start: Date;
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
      }[]
    >`
      select a.pid, a.backend_start, a.usename, a.application_name, a.client_addr::text as client_addr, a.state,
             extract(epoch from now() - a.state_change)::float8 as idle_s,
             extract(epoch from now() - a.xact_start)::float8 as xact_s,
             extract(epoch from now() - a.query_start)::float8 as query_s,
             left(a.query, 500) as query,
             (a.pid = pg_backend_pid() or a.application_name like 'recovery-console%') as is_console,
             coalesce(r.rolsuper, false) as is_superuser,
             a.backend_type
      from pg_stat_activity a
      left join pg_roles r on r.oid = a.usesysid
      where a.state = 'idle in transaction'
        and a.state_change < now() - make_interval(secs => ${olderThanSeconds})
      order by a.state_change`,
  );
  return rows.map((r) => ({
    pid: r.pid,
    backendStart: r.backend_start.toISOString(),
    user: r.usename,
    application: r.application_name,
    client: r.client_addr,
    state: r.state,
    idleSeconds: r.idle_s,
    xactSeconds: r.xact_s,
    querySeconds: r.query_s,
    query: r.query,
    excluded: r.is_console ? "console" : r.is_superuser ? "superuser" : r.backend_type !== "client backend" ? "not_client_backend" : null,
  }));
}
