import "server-only";
/**
 * signals_recent: runbook scenario 1 (Signal Generator Crash), symptom "No new signals in
 * signal_outbox table for > 5 minutes", via the runbook's monitoring query "Recent signals":
 *   SELECT COUNT(*) FROM signal_outbox WHERE created_at > NOW() - INTERVAL '5 minutes';
 * The window is SIGNAL_SILENCE_SECONDS (default 300, the runbook's 5 minutes).
 */
import { env } from "../../../env.ts";
import { countRecentSignals, recentSignalsQuery } from "../../../db/queries/trading.ts";
import { formatAge } from "./format.ts";
import type { CheckModule } from "./types.ts";

export type SignalsRecentDetail = { windowSeconds: number; newestAgeSeconds: number | null };

export const signalsRecent: CheckModule<"signals_recent", SignalsRecentDetail> = {
  id: "signals_recent",
  title: "Recent signals",
  metricUnit: "signals",
  scenario: 1,
  area: "signals",
  actions: [],
  reads: ["trading_tables"],
  queries: (e) => [
    {
      id: "signals_recent",
      check: "signals_recent",
      source: "runbook: Recent signals",
      build: (sql) => recentSignalsQuery(sql, { windowSeconds: e.SIGNAL_SILENCE_SECONDS }),
    },
  ],
  async run() {
    const windowSeconds = env().SIGNAL_SILENCE_SECONDS;
    const { count, newestAgeSeconds } = await countRecentSignals({ windowSeconds });
    const newest = newestAgeSeconds === null ? "no signal ever written" : `newest ${formatAge(newestAgeSeconds)} ago`;
    return {
      status: count === 0 ? "critical" : "ok",
      value: count,
      unit: "signals",
      summary: count === 0 ? `No signals in the last ${formatAge(windowSeconds)}; ${newest}` : `${count} in the last ${formatAge(windowSeconds)}; ${newest}`,
      threshold: `critical when 0 in the last ${formatAge(windowSeconds)}`,
      detail: { windowSeconds, newestAgeSeconds },
    };
  },
};

export { formatAge };
