import "server-only";
/**
 * db_connections: runbook scenario 3 (Database Connection Pool Exhaustion), step 1:
 *   SELECT count(*), state FROM pg_stat_activity GROUP BY state;
 * The value is the sum of that query's counts (every row of pg_stat_activity, as the runbook
 * counts them), compared with max_connections: warn from DB_CONNECTIONS_WARN_PERCENT (80),
 * critical from DB_CONNECTIONS_CRITICAL_PERCENT (90). The detail has the runbook's rows, plus how
 * many are client backends (those count against max_connections; the rest are background workers).
 */
import { env } from "../../env.ts";
import { getConnectionsByState } from "../../db/queries/trading.ts";
import type { CheckDefinition, CheckStatus } from "./types.ts";

export function classifyConnections(total: number, max: number, warnPercent: number, criticalPercent: number): CheckStatus {
  const percent = (total / max) * 100;
  if (percent >= criticalPercent) return "critical";
  return percent >= warnPercent ? "warn" : "ok";
}

export const dbConnections: CheckDefinition = {
  id: "db_connections",
  title: "Database connections",
  scenario: 3,
  async run() {
    const e = env();
    const c = await getConnectionsByState();
    const percent = Math.round((c.total / c.maxConnections) * 1000) / 10;
    const top = c.byState
      .filter((r) => r.state !== null)
      .slice(0, 3)
      .map((r) => `${r.count} ${r.state}`)
      .join(", ");
    return {
      status: classifyConnections(c.total, c.maxConnections, e.DB_CONNECTIONS_WARN_PERCENT, e.DB_CONNECTIONS_CRITICAL_PERCENT),
      value: c.total,
      unit: "connections",
      summary: `${c.total} of max_connections ${c.maxConnections} (${percent} %)${top ? `: ${top}` : ""}${c.seesAllSessions ? "" : " · other users' states hidden (grant pg_monitor)"}`,
      threshold: `warn from ${e.DB_CONNECTIONS_WARN_PERCENT} %, critical from ${e.DB_CONNECTIONS_CRITICAL_PERCENT} % of max_connections`,
      detail: {
        percent,
        maxConnections: c.maxConnections,
        superuserReserved: c.superuserReserved,
        clientBackends: c.byState.reduce((n, r) => n + r.clientBackends, 0),
        seesAllSessions: c.seesAllSessions,
        byState: c.byState,
      },
    };
  },
};
