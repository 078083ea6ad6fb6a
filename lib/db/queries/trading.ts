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
