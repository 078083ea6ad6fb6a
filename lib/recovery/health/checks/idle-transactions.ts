import "server-only";
/**
 * idle_transactions: runbook scenario 3, step 2 selects the sessions to terminate with
 *   state = 'idle in transaction' AND query_start < now() - interval '10 minutes'
 * We refine it: idleness is measured from `state_change` (when the session went idle), not from
 * `query_start`, because a long query that has just finished is not a stale session. The value is
 * the refined count (the same function the "terminate idle sessions" action uses); the runbook's
 * own count is in the detail beside it (`runbookCount`), and each session shows both ages.
 * Warn from 1 session older than IDLE_TX_SECONDS (default 600, the runbook's 10 minutes);
 * critical from IDLE_TX_CRITICAL_COUNT (default 5), when they are enough to exhaust a pool.
 * Sessions of the trading database only. The summary names no database user (it reaches every role,
 * incident timelines included); user, client address and SQL text stay in the detail, which
 * lib/recovery/access/redact.ts strips for callers without `health.details`.
 */
import { env } from "../../../env.ts";
import { getIdleInTransactionReport, type IdleSession } from "../../../db/queries/trading.ts";
import { formatAge, plural } from "./format.ts";
import type { CheckModule, CheckStatus } from "./types.ts";

export function classifyIdleTransactions(count: number, critical: number): CheckStatus {
  if (count >= critical) return "critical";
  return count > 0 ? "warn" : "ok";
}

/** Queries in the detail are cut to this many characters. */
const QUERY_CHARS = 200;

/**
 * Without `health.details` the data layer removes the sessions' user, client and query
 * (lib/recovery/access/redact.ts) and names them in `hidden`.
 */
export type IdleTransactionsDetail = {
  olderThanSeconds: number;
  measuredFrom: "state_change";
  runbookCount: number;
  runbookMeasuredFrom: "query_start";
  sessions: Array<Omit<IdleSession, "user" | "client" | "query"> & Partial<Pick<IdleSession, "user" | "client" | "query">>>;
  hidden?: string[];
};

export const idleTransactions: CheckModule<"idle_transactions", IdleTransactionsDetail> = {
  id: "idle_transactions",
  title: "Idle in transaction",
  metricUnit: "sessions",
  scenario: 3,
  area: "database",
  actions: ["sessions.terminate_idle"],
  reads: ["pg_stat_activity"],
  async run() {
    const e = env();
    const olderThanSeconds = e.IDLE_TX_SECONDS;
    // Both counts in one statement, from the same view of pg_stat_activity.
    const { sessions, runbookCount } = await getIdleInTransactionReport({ olderThanSeconds });
    const count = sessions.length;
    const oldest = sessions[0];
    return {
      status: classifyIdleTransactions(count, e.IDLE_TX_CRITICAL_COUNT),
      value: count,
      unit: count === 1 ? "session" : "sessions",
      summary:
        count === 0
          ? `No session idle in transaction for more than ${formatAge(olderThanSeconds)}`
          : `${plural(count, "session")} idle in transaction for more than ${formatAge(olderThanSeconds)}; oldest ${formatAge(oldest?.idleSeconds ?? 0)} (pid ${oldest?.pid}${oldest?.application ? `, ${oldest.application}` : ""})`,
      threshold: `warn from 1, critical from ${e.IDLE_TX_CRITICAL_COUNT} sessions idle in transaction for more than ${formatAge(olderThanSeconds)}`,
      detail: {
        olderThanSeconds,
        measuredFrom: "state_change",
        runbookCount,
        runbookMeasuredFrom: "query_start",
        sessions: sessions.map((s) => ({ ...s, query: s.query.length > QUERY_CHARS ? `${s.query.slice(0, QUERY_CHARS)}…` : s.query })),
      },
    };
  },
};
