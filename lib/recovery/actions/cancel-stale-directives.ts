import "server-only";
/**
 * Cancel stale pending directives: runbook scenario 2, step 4 ("Update directive status via SQL")
 * and its rollback plan ("Mark pending directives as 'cancelled' if unrecoverable").
 *
 * The confirm cancels exactly the previewed ids that still match the stale-pending predicate,
 * locking them with FOR UPDATE SKIP LOCKED under the session's lock_timeout: it never waits on a
 * row another transaction holds. Each id is reported: cancelled, skipped (no longer pending) or
 * skipped (locked).
 */
import { z } from "zod";
import { text } from "../../validation/text.ts";
import { env } from "../../env.ts";
import { withTrading } from "../../db/client.ts";
import { getStalePendingDirectives, tradingColumns } from "../../db/queries/trading.ts";
import { checkForAction } from "../health/checks/index.ts";
import type { ActionDefinition, ExecuteResult, TargetOutcome } from "./types.ts";

type Target = { id: string };
type Params = { ids?: string[] };

/** Enough for any real backlog; the bench cancels 10,000 through this path. */
const PREVIEW_LIMIT = 20_000;

function age(seconds: number): string {
  const s = Math.round(seconds);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

export const cancelStaleDirectives: ActionDefinition<Target, Params> = {
  name: "directives.cancel_stale",
  title: "Cancel stale directives",
  checkId: checkForAction("directives.cancel_stale"),
  destructive: true,
  cooldownSeconds: (e) => e.ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS,
  approvalThreshold: (e) => e.APPROVAL_THRESHOLD_ROWS,
  // `ids` narrows the action to chosen directives (e.g. one row of the stale table).
  params: z
    .object({
      ids: z
        .array(text().regex(/^\d{1,19}$/, "Directive ids are numbers."))
        .min(1)
        .max(100)
        .optional(),
    })
    .strict(),
  targetKey: (t) => t.id,

  async preview(params) {
    const olderThanSeconds = env().STALE_DIRECTIVE_SECONDS;
    const { rows } = await getStalePendingDirectives({ olderThanSeconds, limit: PREVIEW_LIMIT });
    const chosen = params.ids ? rows.filter((r) => params.ids!.includes(r.id)) : rows;
    const missing = params.ids?.filter((id) => !chosen.some((r) => r.id === id)) ?? [];
    return {
      targets: chosen.map((r) => ({ id: r.id })),
      excluded: missing.map((id) => ({ target: id, reason: "not a stale pending directive (any more)" })),
      columns: [
        { key: "id", label: "Directive" },
        { key: "createdAt", label: "Created" },
        { key: "age", label: "Age" },
        { key: "symbol", label: "Symbol" },
      ],
      rows: chosen.slice(0, 200).map((r) => ({ id: r.id, createdAt: r.createdAt, age: age(r.ageSeconds), symbol: r.symbol })),
      summary:
        chosen.length === 0
          ? "No directive is pending for longer than the threshold: nothing to cancel."
          : `${chosen.length} directive${chosen.length === 1 ? "" : "s"} pending for more than ${age(olderThanSeconds)} will be marked 'cancelled'${chosen.length > 200 ? " (the first 200 are listed)" : ""}.`,
    };
  },

  async execute(targets): Promise<ExecuteResult> {
    const ids = targets.map((t) => t.id);
    if (ids.length === 0) return { outcome: "succeeded", perTarget: [], message: "Nothing to cancel." };
    const olderThanSeconds = env().STALE_DIRECTIVE_SECONDS;
    const hasUpdatedAt = (await tradingColumns()).trade_directives.has("updated_at");
    const { cancelled, rest } = await withTrading(
      (sql) =>
        sql.begin(async (tx) => {
          const done = await tx<{ id: string }[]>`
            with claimable as (
              select id from trade_directives
              where id = any(${ids}::bigint[])
                and status = 'pending'
                and created_at < now() - make_interval(secs => ${olderThanSeconds})
              for update skip locked
            )
            update trade_directives t
            set status = 'cancelled' ${hasUpdatedAt ? tx`, updated_at = now()` : tx``}
            from claimable c
            where t.id = c.id
            returning t.id::text as id`;
          const doneSet = new Set(done.map((r) => r.id));
          const remaining = ids.filter((id) => !doneSet.has(id));
          // A plain read does not wait for row locks: it sees the last committed status.
          const now = remaining.length
            ? await tx<{ id: string; status: string }[]>`select id::text as id, status from trade_directives where id = any(${remaining}::bigint[])`
            : [];
          return { cancelled: doneSet, rest: new Map(now.map((r) => [r.id, r.status])) };
        }) as Promise<{ cancelled: Set<string>; rest: Map<string, string> }>,
      { timeoutMs: 15_000 },
    );
    const perTarget: TargetOutcome[] = ids.map((id) => {
      if (cancelled.has(id)) return { target: id, outcome: "cancelled" };
      const status = rest.get(id);
      if (status === "pending") return { target: id, outcome: "skipped_locked", detail: "locked by another transaction" };
      return { target: id, outcome: "skipped_not_pending", detail: status ? `now ${status}` : "no longer exists" };
    });
    const locked = perTarget.filter((p) => p.outcome === "skipped_locked").length;
    const gone = perTarget.filter((p) => p.outcome === "skipped_not_pending").length;
    const parts = [`${cancelled.size} cancelled`, ...(gone ? [`${gone} skipped (no longer pending)`] : []), ...(locked ? [`${locked} skipped (locked)`] : [])];
    return {
      outcome: locked === 0 ? "succeeded" : cancelled.size > 0 ? "partial" : "failed",
      perTarget,
      message: `${parts.join(", ")}.${locked ? " Locked rows are held by another transaction; preview again once it ends." : ""}`,
      detail: { cancelled: cancelled.size, skippedNotPending: gone, skippedLocked: locked },
    };
  },
};
