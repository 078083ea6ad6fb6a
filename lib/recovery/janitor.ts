import "server-only";
/**
 * The janitor: purges the console store's expiring rows (previews, approvals, idempotency keys,
 * ended sessions, sign-in attempts) so the store stays bounded. It runs on the incident leader
 * only (lib/recovery/incidents/evaluator.ts), so one instance does it however many run.
 */
import { env, type Env } from "../env.ts";
import { purgeExpiredRows, type PurgeCounts, type PurgeRetention } from "../db/queries/janitor.ts";

/** How often the leader purges. */
export const JANITOR_INTERVAL_MS = 5 * 60_000;

const DAY = 86_400;

export function retentionFrom(e: Env): PurgeRetention {
  return {
    previewsSeconds: 3600,
    approvalsSeconds: DAY,
    // Cooldowns are counted from these rows: keep them at least as long as the longest cooldown.
    runsSeconds: Math.max(
      DAY,
      e.ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS,
      e.ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS,
      e.ACTION_COOLDOWN_KILL_SESSIONS_SECONDS,
      e.ACTION_COOLDOWN_CANCEL_QUERIES_SECONDS,
    ),
    loginAttemptsSeconds: DAY,
  };
}

export async function runJanitor(log: (line: string) => void = (l) => console.log(`[janitor] ${l}`)): Promise<PurgeCounts> {
  const counts = await purgeExpiredRows(retentionFrom(env()));
  const purged = Object.entries(counts).filter(([, n]) => n > 0);
  if (purged.length) log(`purged expired rows: ${purged.map(([t, n]) => `${t} ${n}`).join(", ")}`);
  return counts;
}
