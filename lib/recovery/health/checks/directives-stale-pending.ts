import "server-only";
/**
 * directives_stale_pending: runbook scenario 2 (Trade Director Not Processing Directives), symptom
 * "Stale entries in trade_directives table with status = 'pending'", via the runbook's monitoring
 * query "Pending directives":
 *   SELECT COUNT(*) FROM trade_directives WHERE status = 'pending' AND created_at < NOW() - INTERVAL '10 minutes';
 * The age is STALE_DIRECTIVE_SECONDS (default 600, the runbook's 10 minutes). The query function is
 * the one the "cancel stale directives" action uses, so panel and action agree on what is stale.
 */
import { env } from "../../../env.ts";
import { getStalePendingDirectives, stalePendingQuery, type StaleDirective } from "../../../db/queries/trading.ts";
import { formatAge, plural } from "./format.ts";
import type { CheckModule, CheckStatus } from "./types.ts";

/** How many of the oldest stale directives the panel lists. */
export const STALE_DIRECTIVES_SHOWN = 20;

/** Critical as soon as one directive is stale (runbook scenario 2). */
export function classifyStaleDirectives(count: number): CheckStatus {
  return count > 0 ? "critical" : "ok";
}

export type DirectivesStalePendingDetail = { olderThanSeconds: number; oldestAgeSeconds: number | null; shown: number; directives: StaleDirective[] };

export const directivesStalePending: CheckModule<"directives_stale_pending", DirectivesStalePendingDetail> = {
  id: "directives_stale_pending",
  title: "Stale pending directives",
  metricUnit: "directives",
  scenario: 2,
  area: "directives",
  actions: ["directives.cancel_stale"],
  reads: ["trading_tables"],
  queries: (e) => [
    {
      id: "directives_stale_pending",
      check: "directives_stale_pending",
      source: "runbook: Pending directives (count and oldest rows)",
      build: (sql) => stalePendingQuery(sql, { olderThanSeconds: e.STALE_DIRECTIVE_SECONDS, limit: STALE_DIRECTIVES_SHOWN, symbol: true }),
    },
  ],
  async run() {
    const olderThanSeconds = env().STALE_DIRECTIVE_SECONDS;
    const { count, rows } = await getStalePendingDirectives({ olderThanSeconds, limit: STALE_DIRECTIVES_SHOWN });
    const oldest = rows[0];
    return {
      status: classifyStaleDirectives(count),
      value: count,
      unit: count === 1 ? "directive" : "directives",
      summary:
        count === 0
          ? `None pending for more than ${formatAge(olderThanSeconds)}`
          : `${plural(count, "directive")} pending for more than ${formatAge(olderThanSeconds)}; oldest ${formatAge(oldest?.ageSeconds ?? 0)} (id ${oldest?.id})`,
      threshold: `critical when any is pending for more than ${formatAge(olderThanSeconds)}`,
      detail: { olderThanSeconds, oldestAgeSeconds: oldest?.ageSeconds ?? null, shown: rows.length, directives: rows },
    };
  },
};
