import "server-only";
/**
 * Cancel long-running queries: runbook scenario 3, step 2, "Kill long-running queries if safe", the
 * half the idle-transaction kill (kill-idle-transactions.ts) does not cover: queries still *running*
 * in the trading database for more than LONG_QUERY_SECONDS.
 *
 * Gentle first: pg_cancel_backend on each (the query stops, the session and its connection pool
 * stay); then, after LONG_QUERY_GRACE_SECONDS, pg_terminate_backend on those still running the same
 * query. Every statement re-checks that the pid is still the same session (backend_start: pids are
 * reused) running the same query (query_start: a session's next query is not the one previewed),
 * still beyond the threshold, with the same exclusions as the idle-transaction kill: only the
 * trading database (`datname = current_database()`), never the console's own backends (by pid and
 * role), superusers' backends, or background processes (lib/db/queries/trading.ts sameLongQuery).
 *
 * The preview shows each query's SQL text, cut to PREVIEW_QUERY_CHARS. Only `actions.execute`
 * holders see a preview, and they hold `health.details` too (lib/recovery/access/permissions.ts), the
 * permission lib/recovery/access/redact.ts guards SQL text with; that redaction removes the text for
 * others, it does not mask literals, so there is nothing more to apply here.
 */
import { z } from "zod";
import { env } from "../../env.ts";
import { withTrading } from "../../db/client.ts";
import { getLongRunningQueries, sameLongQuery } from "../../db/queries/trading.ts";
import { checkForAction } from "../health/checks/index.ts";
import type { ActionDefinition, ExecuteResult, TargetOutcome } from "./types.ts";

type Target = { pid: number; backendStartUs: string; queryStartUs: string };

/** SQL text shown per query in the preview. */
export const PREVIEW_QUERY_CHARS = 200;
/** How often the grace period looks whether the cancelled queries have ended. */
const POLL_MS = 200;

const REASONS = {
  console: "the console's own connection or database role",
  superuser: "superuser backend: not touched from the console",
  not_client_backend: "not a client backend (replication or background process)",
} as const;

function age(seconds: number): string {
  const s = Math.round(seconds);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

const bounded = (q: string) => (q.length > PREVIEW_QUERY_CHARS ? `${q.slice(0, PREVIEW_QUERY_CHARS)}…` : q);

function errorCode(err: unknown): string | undefined {
  return ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string }))?.code;
}

/** The targets still running the very query that was previewed. */
async function stillRunning(targets: Target[]): Promise<Set<number>> {
  if (targets.length === 0) return new Set();
  const rows = await withTrading(
    (sql) => sql<{ pid: number; b: string; q: string }[]>`
      select pid, (extract(epoch from backend_start) * 1000000)::bigint::text as b, (extract(epoch from query_start) * 1000000)::bigint::text as q
      from pg_stat_activity where pid = any(${targets.map((t) => t.pid)}::int[]) and state = 'active'`,
  );
  const key = (pid: number, b: string, q: string) => `${pid}:${b}:${q}`;
  const live = new Set(rows.map((r) => key(r.pid, r.b, r.q)));
  return new Set(targets.filter((t) => live.has(key(t.pid, t.backendStartUs, t.queryStartUs))).map((t) => t.pid));
}

export const cancelLongQueries: ActionDefinition<Target, Record<string, never>> = {
  name: "queries.cancel_long",
  title: "Cancel long-running queries",
  checkId: checkForAction("queries.cancel_long"),
  destructive: true,
  cooldownSeconds: (e) => e.ACTION_COOLDOWN_CANCEL_QUERIES_SECONDS,
  approvalThreshold: (e) => e.APPROVAL_THRESHOLD_SESSIONS,
  params: z.object({}).strict(),
  targetKey: (t) => String(t.pid),

  async preview() {
    const e = env();
    const olderThanSeconds = e.LONG_QUERY_SECONDS;
    const queries = await getLongRunningQueries({ olderThanSeconds });
    const eligible = queries.filter((q) => q.excluded === null);
    return {
      targets: eligible.map((q) => ({ pid: q.pid, backendStartUs: q.backendStartUs, queryStartUs: q.queryStartUs })),
      excluded: queries.filter((q) => q.excluded !== null).map((q) => ({ target: String(q.pid), reason: REASONS[q.excluded!] })),
      columns: [
        { key: "pid", label: "PID" },
        { key: "user", label: "User" },
        { key: "application", label: "Application" },
        { key: "client", label: "Client" },
        { key: "running", label: "Running for" },
        { key: "wait", label: "Waiting on" },
        { key: "query", label: "Query" },
      ],
      rows: eligible.slice(0, 200).map((q) => ({
        pid: q.pid,
        user: q.user,
        application: q.application,
        client: q.client,
        running: age(q.runningSeconds),
        wait: q.waitEvent,
        query: bounded(q.query),
      })),
      summary:
        eligible.length === 0
          ? `No query has been running for more than ${age(olderThanSeconds)}${queries.length ? " (only excluded ones)" : ""}.`
          : `${eligible.length} quer${eligible.length === 1 ? "y" : "ies"} running for more than ${age(olderThanSeconds)} will be cancelled; any still running ${age(e.LONG_QUERY_GRACE_SECONDS)} later has its session terminated.`,
    };
  },

  async execute(targets): Promise<ExecuteResult> {
    const e = env();
    const olderThanSeconds = e.LONG_QUERY_SECONDS;
    const outcome = new Map<number, TargetOutcome>();
    const cancelled: Target[] = [];

    // 1. Cancel each query (one at a time: a failure on one does not stop the others).
    for (const t of targets) {
      try {
        const rows = await withTrading(
          (sql) => sql<{ sent: boolean }[]>`select pg_cancel_backend(a.pid) as sent from pg_stat_activity a where ${sameLongQuery(sql, t, olderThanSeconds)}`,
        );
        if (rows.length === 0)
          outcome.set(t.pid, { target: String(t.pid), outcome: "gone", detail: "ended, or the pid now runs another query or belongs to another session" });
        else cancelled.push(t);
      } catch (err) {
        if (errorCode(err) === "42501")
          outcome.set(t.pid, { target: String(t.pid), outcome: "not_permitted", detail: "the console's database role may not cancel it" });
        else outcome.set(t.pid, { target: String(t.pid), outcome: "failed", detail: err instanceof Error ? err.message : String(err) });
      }
    }

    // 2. The grace period: until every cancelled query has ended, or LONG_QUERY_GRACE_SECONDS.
    const deadline = Date.now() + e.LONG_QUERY_GRACE_SECONDS * 1000;
    let running = await stillRunning(cancelled);
    while (running.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
      running = await stillRunning(cancelled);
    }

    // 3. Terminate the sessions whose query is still running.
    for (const t of cancelled) {
      if (!running.has(t.pid)) {
        outcome.set(t.pid, { target: String(t.pid), outcome: "cancelled" });
        continue;
      }
      try {
        const rows = await withTrading(
          (sql) =>
            sql<
              { terminated: boolean }[]
            >`select pg_terminate_backend(a.pid) as terminated from pg_stat_activity a where ${sameLongQuery(sql, t, olderThanSeconds)}`,
        );
        if (rows.length === 0 || !rows[0]!.terminated)
          outcome.set(t.pid, { target: String(t.pid), outcome: "cancelled", detail: "ended just after the grace period" });
        else outcome.set(t.pid, { target: String(t.pid), outcome: "terminated", detail: `still running ${e.LONG_QUERY_GRACE_SECONDS} s after the cancel` });
      } catch (err) {
        if (errorCode(err) === "42501")
          outcome.set(t.pid, { target: String(t.pid), outcome: "not_permitted", detail: "the console's database role may not terminate it" });
        else outcome.set(t.pid, { target: String(t.pid), outcome: "failed", detail: err instanceof Error ? err.message : String(err) });
      }
    }

    const perTarget = targets.map((t) => outcome.get(t.pid)!);
    const count = (o: string) => perTarget.filter((p) => p.outcome === o).length;
    const stopped = count("cancelled") + count("terminated");
    const problems = count("not_permitted") + count("failed");
    const parts = [
      `${count("cancelled")} cancelled`,
      ...(count("terminated") ? [`${count("terminated")} terminated after the grace period`] : []),
      ...(count("gone") ? [`${count("gone")} gone`] : []),
      ...(count("not_permitted") ? [`${count("not_permitted")} not permitted`] : []),
      ...(count("failed") ? [`${count("failed")} failed`] : []),
    ];
    return {
      outcome: problems === 0 ? "succeeded" : stopped > 0 ? "partial" : "failed",
      perTarget,
      message: `${parts.join(", ")}.`,
      detail: {
        cancelled: count("cancelled"),
        terminated: count("terminated"),
        gone: count("gone"),
        notPermitted: count("not_permitted"),
        failed: count("failed"),
      },
    };
  },
};
