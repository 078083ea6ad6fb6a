import "server-only";
/**
 * db_connections: runbook scenario 3 (Database Connection Pool Exhaustion), step 1:
 *   SELECT count(*), state FROM pg_stat_activity GROUP BY state;
 * The value is the sum of that query's counts (every row of pg_stat_activity, as the runbook
 * counts them), compared with max_connections: warn from DB_CONNECTIONS_WARN_PERCENT (80),
 * critical from DB_CONNECTIONS_CRITICAL_PERCENT (90). The detail has the runbook's rows, plus how
 * many are client backends (those count against max_connections; the rest are background workers).
 *
 * Critical as well when the slots ordinary roles may use are all taken: PostgreSQL then refuses the
 * trading services ("remaining connection slots are reserved…"), which is the incident, even when
 * the share of max_connections is below the thresholds because superuser_reserved_connections and
 * reserved_connections (PostgreSQL 16+) hold slots back (src/backend/utils/init/postinit.c).
 */
import { env } from "../../../env.ts";
import { getConnectionsByState, type ConnectionsByState } from "../../../db/queries/trading.ts";
import type { CheckModule, CheckStatus } from "./types.ts";

/** `saturation`: client backends, and the slots open to roles without a reservation. */
export function classifyConnections(
  total: number,
  max: number,
  warnPercent: number,
  criticalPercent: number,
  saturation?: { clientBackends: number; openToApplications: number },
): CheckStatus {
  if (saturation && saturation.clientBackends >= saturation.openToApplications) return "critical";
  const percent = (total / max) * 100;
  if (percent >= criticalPercent) return "critical";
  return percent >= warnPercent ? "warn" : "ok";
}

export type DbConnectionsDetail = {
  percent: number;
  maxConnections: number;
  superuserReserved: number;
  reservedConnections: number;
  openToApplications: number;
  clientBackends: number;
  seesAllSessions: boolean;
  byState: ConnectionsByState["byState"];
};

export const dbConnections: CheckModule<"db_connections", DbConnectionsDetail> = {
  id: "db_connections",
  title: "Database connections",
  metricUnit: "connections",
  scenario: 3,
  area: "database",
  // Runbook scenario 3, step 2: long-running queries hold connections of the pool.
  actions: ["queries.cancel_long"],
  reads: ["pg_stat_activity"],
  async run() {
    const e = env();
    const c = await getConnectionsByState();
    const percent = Math.round((c.total / c.maxConnections) * 1000) / 10;
    const clientBackends = c.byState.reduce((n, r) => n + r.clientBackends, 0);
    const openToApplications = c.maxConnections - c.superuserReserved - c.reservedConnections;
    const saturated = clientBackends >= openToApplications;
    const top = c.byState
      .filter((r) => r.state !== null)
      .slice(0, 3)
      .map((r) => `${r.count} ${r.state}`)
      .join(", ");
    return {
      status: classifyConnections(c.total, c.maxConnections, e.DB_CONNECTIONS_WARN_PERCENT, e.DB_CONNECTIONS_CRITICAL_PERCENT, {
        clientBackends,
        openToApplications,
      }),
      value: c.total,
      unit: "connections",
      summary: `${saturated ? `No slot left for applications (${clientBackends} client backends, ${openToApplications} open to them); ` : ""}${c.total} of max_connections ${c.maxConnections} (${percent} %)${top ? `: ${top}` : ""}${c.seesAllSessions ? "" : " · other users' states hidden (grant pg_monitor)"}`,
      threshold: `warn from ${e.DB_CONNECTIONS_WARN_PERCENT} %, critical from ${e.DB_CONNECTIONS_CRITICAL_PERCENT} % of max_connections, or when the ${openToApplications} slots open to applications are all taken`,
      detail: {
        percent,
        maxConnections: c.maxConnections,
        superuserReserved: c.superuserReserved,
        reservedConnections: c.reservedConnections,
        openToApplications,
        clientBackends,
        seesAllSessions: c.seesAllSessions,
        byState: c.byState,
      },
    };
  },
};
