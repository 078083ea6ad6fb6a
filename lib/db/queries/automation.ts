import "server-only";
/** Narrow reads and writes of automated recovery's rows (console.automation_runs, console.automation_pauses). */
import { withConsole, type Sql } from "../client.ts";

export type AutomationRunState = "running" | "ran" | "unknown" | "would_run" | "approval_required" | "handed_over" | "refused" | "exhausted";

export type AutomationRun = {
  id: number;
  policy: string;
  incidentId: number | null;
  checkId: string;
  action: string;
  mode: "dry-run" | "on";
  state: AutomationRunState;
  outcome: string | null;
  intentSeq: number | null;
  message: string;
  detail: Record<string, unknown> | null;
  at: string;
  finishedAt: string | null;
};

export type AutomationPause = { policy: string; pausedBy: string; pausedByEmail: string; pausedAt: string };

type Raw = {
  id: string;
  policy: string;
  incident_id: string | null;
  check_id: string;
  action: string;
  mode: "dry-run" | "on";
  state: AutomationRunState;
  outcome: string | null;
  intent_seq: string | null;
  message: string;
  detail: Record<string, unknown> | null;
  at: Date;
  finished_at: Date | null;
};

function toRun(r: Raw): AutomationRun {
  return {
    id: Number(r.id),
    policy: r.policy,
    incidentId: r.incident_id === null ? null : Number(r.incident_id),
    checkId: r.check_id,
    action: r.action,
    mode: r.mode,
    state: r.state,
    outcome: r.outcome,
    intentSeq: r.intent_seq === null ? null : Number(r.intent_seq),
    message: r.message,
    detail: r.detail,
    at: r.at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

const TIMEOUT = { timeoutMs: 3000 };

/** The runs of these incidents (every policy), oldest first: what the leader decides from and the panels show. */
export async function listAutomationRuns({ incidentIds, limit = 200 }: { incidentIds: number[]; limit?: number }): Promise<AutomationRun[]> {
  if (!incidentIds.length) return [];
  const rows = await withConsole(
    (sql) => sql<Raw[]>`
      select * from (
        select * from console.automation_runs where incident_id = any(${incidentIds}::bigint[]) order by at desc, id desc limit ${limit}
      ) r order by at, id`,
    { ...TIMEOUT, idempotent: true },
  );
  return rows.map(toRun);
}

/** The latest runs of every policy, newest first (for the panels when no incident is open). */
export async function listRecentAutomationRuns({ limit = 20 }: { limit?: number } = {}): Promise<AutomationRun[]> {
  const rows = await withConsole((sql) => sql<Raw[]>`select * from console.automation_runs order by at desc, id desc limit ${limit}`, {
    ...TIMEOUT,
    idempotent: true,
  });
  return rows.map(toRun);
}

export async function insertAutomationRun(
  r: Omit<AutomationRun, "id" | "at" | "finishedAt" | "outcome" | "intentSeq" | "detail"> & {
    outcome?: string | null;
    intentSeq?: number | null;
    detail?: Record<string, unknown> | null;
    idempotencyKey?: string | null;
    finished?: boolean;
  },
  tx?: Sql,
): Promise<AutomationRun> {
  const q = (sql: Sql) => sql<Raw[]>`
    insert into console.automation_runs (policy, incident_id, check_id, action, mode, state, outcome, idempotency_key, intent_seq, message, detail, finished_at)
    values (${r.policy}, ${r.incidentId}, ${r.checkId}, ${r.action}, ${r.mode}, ${r.state}, ${r.outcome ?? null}, ${r.idempotencyKey ?? null}, ${r.intentSeq ?? null},
            ${r.message}, ${r.detail ? sql.json(r.detail as never) : null}, ${r.finished === false ? null : new Date()})
    returning *`;
  const [row] = tx ? await q(tx) : await withConsole(q, TIMEOUT);
  return toRun(row!);
}

export async function finishAutomationRun(r: {
  id: number;
  state: AutomationRunState;
  outcome: string | null;
  intentSeq: number | null;
  message: string;
  detail: Record<string, unknown> | null;
}): Promise<void> {
  await withConsole(
    (sql) => sql`
      update console.automation_runs
      set state = ${r.state}, outcome = ${r.outcome}, intent_seq = coalesce(${r.intentSeq}, intent_seq), message = ${r.message},
          detail = ${r.detail ? sql.json(r.detail as never) : null}, finished_at = now()
      where id = ${r.id}`,
    TIMEOUT,
  );
}

/**
 * Runs left `running` by a leader that stopped during them (its process died or lost the store):
 * their effect may or may not have happened, as with a person's run whose outcome was never written.
 * Marked `unknown` by the next leader, once; returns the rows it marked.
 */
export async function resolveOrphanedRuns(): Promise<AutomationRun[]> {
  const rows = await withConsole(
    (sql) => sql<Raw[]>`
      update console.automation_runs
      set state = 'unknown', finished_at = now(),
          message = 'Outcome unknown: the console instance running it stopped before its outcome was recorded. Check the audit entry of its intent and the panel.'
      where state = 'running'
      returning *`,
    TIMEOUT,
  );
  return rows.map(toRun);
}

export async function listAutomationPauses(): Promise<AutomationPause[]> {
  const rows = await withConsole(
    (sql) => sql<{ policy: string; paused_by: string; paused_by_email: string; paused_at: Date }[]>`select * from console.automation_pauses order by policy`,
    { ...TIMEOUT, idempotent: true },
  );
  return rows.map((r) => ({ policy: r.policy, pausedBy: r.paused_by, pausedByEmail: r.paused_by_email, pausedAt: r.paused_at.toISOString() }));
}

/** Pause (true) or resume (false) a policy, in the caller's transaction; whether anything changed. */
export async function setAutomationPause(tx: Sql, p: { policy: string; paused: boolean; by: string; byEmail: string }): Promise<boolean> {
  if (p.paused) {
    const rows = await tx`
      insert into console.automation_pauses (policy, paused_by, paused_by_email) values (${p.policy}, ${p.by}, ${p.byEmail})
      on conflict (policy) do nothing returning policy`;
    return rows.length > 0;
  }
  const rows = await tx`delete from console.automation_pauses where policy = ${p.policy} returning policy`;
  return rows.length > 0;
}
