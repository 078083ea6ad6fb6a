import "server-only";
/** The runbook versions the console has served (console.runbook_versions), by hash. */
import { withConsole } from "../client.ts";

export type RunbookVersion = { hash: string; lastUpdated: string | null; owner: string | null; firstSeenAt: string };
export type RunbookVersionWithText = RunbookVersion & { content: string };

type Raw = { hash: string; last_updated: string | null; owner: string | null; first_seen_at: Date; content?: string };
const toVersion = (r: Raw): RunbookVersion => ({ hash: r.hash, lastUpdated: r.last_updated, owner: r.owner, firstSeenAt: r.first_seen_at.toISOString() });

/** Insert-if-absent by hash: any instance may record the version it loaded; the first one wins. */
export async function recordRunbookVersion(v: { hash: string; lastUpdated: string | null; owner: string | null; content: string }): Promise<void> {
  await withConsole(
    (sql) => sql`
      insert into console.runbook_versions (hash, last_updated, owner, content)
      values (${v.hash}, ${v.lastUpdated}, ${v.owner}, ${v.content})
      on conflict (hash) do nothing`,
    { timeoutMs: 3000, idempotent: true },
  );
}

/** The latest versions, newest first, each with its text (for the diff). */
export async function listRunbookVersions({ limit = 20 }: { limit?: number } = {}): Promise<RunbookVersionWithText[]> {
  const rows = await withConsole((sql) => sql<Raw[]>`select * from console.runbook_versions order by first_seen_at desc, hash limit ${limit}`, {
    timeoutMs: 3000,
    idempotent: true,
  });
  return rows.map((r) => ({ ...toVersion(r), content: r.content ?? "" }));
}

export async function getRunbookVersions({ hashes }: { hashes: string[] }): Promise<RunbookVersion[]> {
  if (!hashes.length) return [];
  const rows = await withConsole(
    (sql) => sql<Raw[]>`select hash, last_updated, owner, first_seen_at from console.runbook_versions where hash in ${sql(hashes)}`,
    {
      timeoutMs: 3000,
      idempotent: true,
    },
  );
  return rows.map(toVersion);
}

/** Whether a runbook other than `hash` was first seen after `since` (the post-incident "Update runbook" item). */
export async function runbookUpdatedSince({ since, hash }: { since: string; hash: string | null }): Promise<RunbookVersion | null> {
  const rows = await withConsole(
    (sql) => sql<Raw[]>`
      select hash, last_updated, owner, first_seen_at from console.runbook_versions
      where first_seen_at > ${since} and hash is distinct from ${hash}
      order by first_seen_at limit 1`,
    { timeoutMs: 3000, idempotent: true },
  );
  return rows[0] ? toVersion(rows[0]) : null;
}
