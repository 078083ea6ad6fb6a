import "server-only";
/**
 * executions_failed: the runbook's monitoring query "Failed executions":
 *   SELECT * FROM execution_events WHERE status = 'failed' AND created_at > NOW() - INTERVAL '1 hour';
 * The value is that query's row count over the runbook's fixed hour; the detail lists its latest 50
 * rows. Warn from EXECUTIONS_FAILED_WARN (default 1), critical from EXECUTIONS_FAILED_CRITICAL
 * (default 5). A broker that rejects a steady few orders (margin, market closed) is normal for some
 * accounts: raise EXECUTIONS_FAILED_WARN above that rate so a healthy day reads green.
 */
import { env } from "../../../env.ts";
import { failedExecutionsQuery, getFailedExecutions, type FailedExecution } from "../../../db/queries/trading.ts";
import { formatAge, plural } from "./format.ts";
import type { CheckModule, CheckStatus } from "./types.ts";

/** The runbook's window: "created_at > NOW() - INTERVAL '1 hour'". */
export const FAILED_EXECUTIONS_WINDOW_SECONDS = 3600;
export const FAILED_EXECUTIONS_SHOWN = 50;

export function classifyFailedExecutions(count: number, critical: number, warn = 1): CheckStatus {
  if (count >= critical) return "critical";
  return count >= warn ? "warn" : "ok";
}

export type ExecutionsFailedDetail = { windowSeconds: number; warnAt: number; criticalAt: number; shown: number; executions: FailedExecution[] };

export const executionsFailed: CheckModule<"executions_failed", ExecutionsFailedDetail> = {
  id: "executions_failed",
  title: "Failed executions",
  metricUnit: "failures",
  scenario: null,
  area: "execution",
  // A failed execution is the broker refusing an order, not a slow one (lib/recovery/health/status.ts).
  statusWords: { degraded: "some orders rejected by the broker", outage: "many orders rejected by the broker" },
  actions: [],
  reads: ["trading_tables"],
  queries: () => [
    {
      id: "executions_failed",
      check: "executions_failed",
      source: "runbook: Failed executions (count and latest rows)",
      build: (sql) =>
        failedExecutionsQuery(sql, { windowSeconds: FAILED_EXECUTIONS_WINDOW_SECONDS, limit: FAILED_EXECUTIONS_SHOWN, directive: true, error: true }),
    },
  ],
  async run() {
    const critical = env().EXECUTIONS_FAILED_CRITICAL;
    const warn = env().EXECUTIONS_FAILED_WARN;
    const { count, rows } = await getFailedExecutions({ windowSeconds: FAILED_EXECUTIONS_WINDOW_SECONDS, limit: FAILED_EXECUTIONS_SHOWN });
    const latest = rows[0];
    return {
      status: classifyFailedExecutions(count, critical, warn),
      value: count,
      unit: count === 1 ? "failure" : "failures",
      summary:
        count === 0
          ? "No failed executions in the last hour"
          : `${plural(count, "failed execution")} in the last hour; latest ${formatAge(latest?.ageSeconds ?? 0)} ago${latest?.error ? ` (${latest.error})` : ""}`,
      threshold: `warn from ${warn}, critical from ${critical} in the last hour`,
      detail: { windowSeconds: FAILED_EXECUTIONS_WINDOW_SECONDS, warnAt: warn, criticalAt: critical, shown: rows.length, executions: rows },
    };
  },
};
