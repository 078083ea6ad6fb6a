import "server-only";
/**
 * Kill idle transactions: runbook scenario 3, step 2:
 *   SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 *   WHERE state = 'idle in transaction' AND query_start < now() - interval '10 minutes';
 *
 * Refined, after pghero's kill scoping: one pid at a time (a bulk statement that meets a superuser
 * backend errors after it has already killed others), and each statement re-checks that the pid is
 * still the same session (same backend_start: pids are reused) and still idle in transaction beyond
 * IDLE_TX_SECONDS (measured from state_change, see getIdleInTransactionSessions). Only sessions in
 * the trading database (`datname = current_database()`), never another database on the same server.
 * Never the console's own backends (this connection and its role's: isConsoleBackend, not an
 * application_name anyone can set), superusers' backends, replication or other background processes.
 */
import { z } from "zod";
import { env } from "../../env.ts";
import { withTrading } from "../../db/client.ts";
import { getIdleInTransactionSessions, isConsoleBackend } from "../../db/queries/trading.ts";
import { checkForAction } from "../health/checks/index.ts";
import type { ActionDefinition, ExecuteResult, TargetOutcome } from "./types.ts";

type Target = { pid: number; backendStartUs: string };

const REASONS = {
  console: "the console's own connection or database role",
  superuser: "superuser backend: not touched from the console",
  not_client_backend: "not a client backend (replication or background process)",
} as const;

function age(seconds: number | null): string {
  if (seconds === null) return "—";
  const s = Math.round(seconds);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

export const killIdleTransactions: ActionDefinition<Target, Record<string, never>> = {
  name: "sessions.terminate_idle",
  title: "Kill idle transactions",
  checkId: checkForAction("sessions.terminate_idle"),
  destructive: true,
  cooldownSeconds: (e) => e.ACTION_COOLDOWN_KILL_SESSIONS_SECONDS,
  approvalThreshold: (e) => e.APPROVAL_THRESHOLD_SESSIONS,
  params: z.object({}).strict(),
  targetKey: (t) => String(t.pid),

  async preview() {
    const olderThanSeconds = env().IDLE_TX_SECONDS;
    const sessions = await getIdleInTransactionSessions({ olderThanSeconds });
    const eligible = sessions.filter((s) => s.excluded === null);
    return {
      targets: eligible.map((s) => ({ pid: s.pid, backendStartUs: s.backendStartUs })),
      excluded: sessions.filter((s) => s.excluded !== null).map((s) => ({ target: String(s.pid), reason: REASONS[s.excluded!] })),
      columns: [
        { key: "pid", label: "PID" },
        { key: "database", label: "Database" },
        { key: "user", label: "User" },
        { key: "application", label: "Application" },
        { key: "client", label: "Client" },
        { key: "idle", label: "Idle" },
        { key: "xact", label: "Transaction age" },
        { key: "query", label: "Last query" },
      ],
      rows: eligible.slice(0, 200).map((s) => ({
        pid: s.pid,
        database: s.database,
        user: s.user,
        application: s.application,
        client: s.client,
        idle: age(s.idleSeconds),
        xact: age(s.xactSeconds),
        query: s.query.slice(0, 120),
      })),
      summary:
        eligible.length === 0
          ? `No session is idle in transaction for more than ${age(olderThanSeconds)}${sessions.length ? " (only excluded ones)" : ""}.`
          : `${eligible.length} session${eligible.length === 1 ? "" : "s"} idle in transaction for more than ${age(olderThanSeconds)} will be terminated, one by one; their open transactions roll back.`,
    };
  },

  async execute(targets): Promise<ExecuteResult> {
    const olderThanSeconds = env().IDLE_TX_SECONDS;
    const perTarget: TargetOutcome[] = [];
    for (const t of targets) {
      try {
        const rows = await withTrading(
          (sql) => sql<{ terminated: boolean }[]>`
            select pg_terminate_backend(a.pid) as terminated
            from pg_stat_activity a
            left join pg_roles r on r.oid = a.usesysid
            where a.pid = ${t.pid}
              and (extract(epoch from a.backend_start) * 1000000)::bigint = ${t.backendStartUs}::bigint
              and a.state = 'idle in transaction'
              and a.state_change < now() - make_interval(secs => ${olderThanSeconds})
              and a.datname = current_database()
              and not ${isConsoleBackend(sql)}
              and a.backend_type = 'client backend'
              and not coalesce(r.rolsuper, false)`,
        );
        if (rows.length === 0)
          perTarget.push({ target: String(t.pid), outcome: "gone", detail: "ended, became active, or the pid now belongs to another session" });
        else if (rows[0]!.terminated) perTarget.push({ target: String(t.pid), outcome: "terminated" });
        else perTarget.push({ target: String(t.pid), outcome: "gone", detail: "already exiting" });
      } catch (err) {
        const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string }))?.code;
        if (code === "42501") perTarget.push({ target: String(t.pid), outcome: "not_permitted", detail: "the console's database role may not terminate it" });
        else perTarget.push({ target: String(t.pid), outcome: "failed", detail: err instanceof Error ? err.message : String(err) });
      }
    }
    const count = (o: string) => perTarget.filter((p) => p.outcome === o).length;
    const terminated = count("terminated");
    const problems = count("not_permitted") + count("failed");
    const parts = [
      `${terminated} terminated`,
      ...(count("gone") ? [`${count("gone")} gone`] : []),
      ...(count("not_permitted") ? [`${count("not_permitted")} not permitted`] : []),
      ...(count("failed") ? [`${count("failed")} failed`] : []),
    ];
    return {
      outcome: problems === 0 ? "succeeded" : terminated > 0 ? "partial" : "failed",
      perTarget,
      message: `${parts.join(", ")}.`,
      detail: { terminated, gone: count("gone"), notPermitted: count("not_permitted"), failed: count("failed") },
    };
  },
};
