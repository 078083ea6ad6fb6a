import "server-only";
/**
 * The shared health snapshot (console.shared_snapshots): the instance that evaluates writes it, the
 * others read it instead of querying the trading DB (docs/deploying.md, several instances). Ages
 * come from the store's clock, which also stamped published_at, so no two instances' clocks are
 * ever compared.
 */
import { withConsole } from "../client.ts";
import type { SharedSnapshotRow } from "../types.ts";

/** The row's id: one shared health snapshot per console store. */
const HEALTH = "health";

/** Publish an evaluation: it replaces the row whoever wrote it last (the newest evaluation is the one written last). */
export async function publishSharedSnapshot(s: { snapshot: { generatedAt: string }; evaluatedBy: string }, opts: { timeoutMs: number }): Promise<void> {
  await withConsole(
    (sql) => sql`
      insert into console.shared_snapshots as s (id, snapshot, generated_at, evaluated_by)
      values (${HEALTH}, ${sql.json(s.snapshot as never)}, ${s.snapshot.generatedAt}, ${s.evaluatedBy})
      on conflict (id) do update
        set snapshot = excluded.snapshot, generated_at = excluded.generated_at, evaluated_by = excluded.evaluated_by,
            published_at = now(), revision = s.revision + 1`,
    { timeoutMs: opts.timeoutMs },
  );
}

/** The shared snapshot and its age, or null when none was ever published. */
export async function readSharedSnapshot(opts: { timeoutMs: number }): Promise<SharedSnapshotRow | null> {
  const [row] = await withConsole(
    (sql) => sql<{ snapshot: unknown; generated_at: Date; evaluated_by: string; revision: string; age_ms: number }[]>`
      select snapshot, generated_at, evaluated_by, revision::text as revision,
             (extract(epoch from clock_timestamp() - published_at) * 1000)::float8 as age_ms
      from console.shared_snapshots where id = ${HEALTH}`,
    { timeoutMs: opts.timeoutMs, idempotent: true },
  );
  if (!row) return null;
  return {
    snapshot: row.snapshot,
    generatedAt: row.generated_at.toISOString(),
    evaluatedBy: row.evaluated_by,
    revision: Number(row.revision),
    ageMs: row.age_ms,
  };
}

/**
 * Put one check's new reading (re-run after an action) into the shared snapshot in place of the one
 * with the same id, so every instance shows it before the next evaluation. No row, nothing to do.
 */
export async function mergeSharedCheck(check: { id: string }, opts: { timeoutMs: number }): Promise<void> {
  await withConsole(
    (sql) => sql`
      update console.shared_snapshots as s
      set snapshot = jsonb_set(s.snapshot, '{checks}', (
            select coalesce(jsonb_agg(case when c.value ->> 'id' = ${check.id} then ${sql.json(check as never)}::jsonb else c.value end order by c.ord), '[]'::jsonb)
            from jsonb_array_elements(s.snapshot -> 'checks') with ordinality as c(value, ord))),
          revision = s.revision + 1
      where s.id = ${HEALTH}`,
    { timeoutMs: opts.timeoutMs },
  );
}
