import "server-only";
/**
 * Console-store bookkeeping for guarded actions: previews, idempotent runs (also the source of
 * cooldowns and rate limits), the one-run-at-a-time lock, and two-person approvals.
 */
import { holdConsoleSession, withConsole, type Sql } from "../client.ts";
import { DbError } from "../errors.ts";

export type StoredPreview<T = unknown> = {
  id: string;
  action: string;
  actorId: string;
  /** The validated parameters the preview was made with (null for previews made before migration 0011). */
  params: unknown;
  targets: T[];
  excluded: unknown;
  summary: unknown;
  expiresAt: Date;
  consumedAt: Date | null;
};

/**
 * Store a preview, unless this user already made `perMinute` previews in the last minute (the
 * count and the insert under one per-user lock, so parallel previews cannot slip past it).
 */
export async function createPreview<T>(p: {
  action: string;
  actorId: string;
  params: unknown;
  targets: T[];
  excluded: unknown;
  summary: unknown;
  ttlSeconds: number;
  perMinute: number;
}): Promise<{ ok: true; id: string; expiresAt: Date } | { ok: false; retryAfterSeconds: number }> {
  return withConsole((sql) =>
    sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${`recovery-console:preview-rate:${p.actorId}`}))`;
      const [recent] = await tx<[{ n: number; oldest_age: number | null }]>`
        select count(*)::int as n, extract(epoch from now() - min(created_at))::float8 as oldest_age
        from console.action_previews where actor_id = ${p.actorId} and created_at > now() - interval '60 seconds'`;
      if (recent.n >= p.perMinute) return { ok: false as const, retryAfterSeconds: Math.max(1, Math.ceil(60 - (recent.oldest_age ?? 0))) };
      const [row] = await tx<{ id: string; expires_at: Date }[]>`
        insert into console.action_previews (action, actor_id, params, targets, excluded, summary, expires_at)
        values (${p.action}, ${p.actorId}, ${tx.json((p.params ?? null) as never)}, ${tx.json(p.targets as never)}, ${tx.json((p.excluded ?? null) as never)},
                ${tx.json((p.summary ?? null) as never)}, now() + make_interval(secs => ${p.ttlSeconds}))
        returning id, expires_at`;
      return { ok: true as const, id: row!.id, expiresAt: row!.expires_at };
    }),
  ) as Promise<{ ok: true; id: string; expiresAt: Date } | { ok: false; retryAfterSeconds: number }>;
}

/** This user's previews in the last minute, and when the oldest of them leaves the window. */
export async function getPreviewPressure({ actorId }: { actorId: string }): Promise<{ count: number; retryAfterSeconds: number }> {
  const [row] = await withConsole(
    (sql) => sql<[{ n: number; oldest_age: number | null }]>`
      select count(*)::int as n, extract(epoch from now() - min(created_at))::float8 as oldest_age
      from console.action_previews where actor_id = ${actorId} and created_at > now() - interval '60 seconds'`,
    { idempotent: true },
  );
  return { count: row?.n ?? 0, retryAfterSeconds: Math.max(1, Math.ceil(60 - (row?.oldest_age ?? 0))) };
}

type PreviewRow<T> = {
  id: string;
  action: string;
  actor_id: string;
  params: unknown;
  targets: T[];
  excluded: unknown;
  summary: unknown;
  expires_at: Date;
  consumed_at: Date | null;
};

export async function getPreview<T>({ id }: { id: string }): Promise<StoredPreview<T> | null> {
  const rows = await withConsole(
    (sql) => sql<PreviewRow<T>[]>`
      select id, action, actor_id, params, targets, excluded, summary, expires_at, consumed_at from console.action_previews where id = ${id}`,
    { idempotent: true },
  );
  const r = rows[0];
  return r
    ? {
        id: r.id,
        action: r.action,
        actorId: r.actor_id,
        params: r.params,
        targets: r.targets,
        excluded: r.excluded,
        summary: r.summary,
        expiresAt: r.expires_at,
        consumedAt: r.consumed_at,
      }
    : null;
}

/**
 * Use a preview up: true for the one confirm (named by its idempotency key) that gets it; false
 * when another confirm already used it. A confirm refused before any effect gives it back (releaseRun).
 */
export async function consumePreview({ id, key }: { id: string; key: string }): Promise<boolean> {
  const rows = await withConsole(
    (sql) => sql`
      update console.action_previews set consumed_at = now(), consumed_key = ${key}
      where id = ${id} and (consumed_key is null or consumed_key = ${key}) returning 1`,
    { idempotent: true },
  );
  return rows.length === 1;
}

/** Keep the preview as long as the approval that will execute it (inside the approval's transaction). */
export async function extendPreview(tx: Sql, { id, until }: { id: string; until: Date }): Promise<void> {
  await tx`update console.action_previews set expires_at = greatest(expires_at, ${until}) where id = ${id}`;
}

export type RunRow = { key: string; action: string; actorId: string; paramsHash: string; state: "running" | "done"; outcome: string | null; result: unknown };

/** Claim an idempotency key: `claimed` when this request is the first with it. */
export async function beginRun(p: {
  key: string;
  action: string;
  actorId: string;
  paramsHash: string;
}): Promise<{ claimed: true } | { claimed: false; existing: RunRow }> {
  return withConsole(
    async (sql) => {
      const inserted = await sql`
      insert into console.action_runs (idempotency_key, action, actor_id, params_hash, state)
      values (${p.key}, ${p.action}, ${p.actorId}, ${p.paramsHash}, 'running')
      on conflict (idempotency_key) do nothing
      returning idempotency_key`;
      if (inserted.length) return { claimed: true };
      const [r] = await sql<
        { idempotency_key: string; action: string; actor_id: string; params_hash: string; state: "running" | "done"; outcome: string | null; result: unknown }[]
      >`
      select idempotency_key, action, actor_id, params_hash, state, outcome, result from console.action_runs where idempotency_key = ${p.key}`;
      return {
        claimed: false,
        existing: {
          key: r!.idempotency_key,
          action: r!.action,
          actorId: r!.actor_id,
          paramsHash: r!.params_hash,
          state: r!.state,
          outcome: r!.outcome,
          result: r!.result,
        },
      };
    },
    { idempotent: true },
  );
}

/**
 * Mark the claimed run as executing. Throws when the claim is gone (given back after a refusal
 * or a lock deadline): a run whose key is no longer held must not take effect.
 */
export async function markRunExecuted({ key, intentSeq }: { key: string; intentSeq: number }): Promise<void> {
  const rows = await withConsole(
    (sql) =>
      sql`update console.action_runs set executed = 1, intent_seq = ${intentSeq} where idempotency_key = ${key} and state = 'running' and executed = 0 returning 1`,
  );
  if (rows.length !== 1) throw new Error(`the claim on idempotency key ${key} is gone; not executing`);
}

/**
 * Give a claimed key back when the request was refused before any effect (cooldown, rate limit,
 * busy, store trouble): a retry with the same key is then judged afresh instead of being answered
 * with a refusal that no longer holds. A run that wrote its intent keeps its key.
 */
export async function releaseRun({ key }: { key: string }): Promise<void> {
  await withConsole(async (sql) => {
    const released = await sql`delete from console.action_runs where idempotency_key = ${key} and executed = 0 and state = 'running' returning 1`;
    // Nothing ran: the preview it used up may be confirmed again.
    if (released.length) await sql`update console.action_previews set consumed_at = null, consumed_key = null where consumed_key = ${key}`;
  });
}

export async function finishRun({ key, outcome, result }: { key: string; outcome: string; result: unknown }): Promise<void> {
  await withConsole(
    (sql) => sql`
      update console.action_runs set state = 'done', outcome = ${outcome}, result = ${sql.json(result as never)}, finished_at = now()
      where idempotency_key = ${key}`,
  );
}

/** Seconds until the action's cooldown ends (0 when none), and this user's executions in the last minute. */
export async function getRunPressure({
  action,
  actorId,
  cooldownSeconds,
}: {
  action: string;
  actorId: string;
  cooldownSeconds: number;
}): Promise<{ cooldownLeft: number; recentByActor: number; oldestRecentAgeSeconds: number }> {
  const [row] = await withConsole(
    (sql) => sql<{ cooldown_left: number; recent: number; oldest_age: number | null }[]>`
      select
        coalesce((select greatest(0, ${cooldownSeconds} - extract(epoch from now() - max(started_at)))
                  from console.action_runs where action = ${action} and executed = 1), 0)::float8 as cooldown_left,
        (select count(*) from console.action_runs where actor_id = ${actorId} and executed = 1 and started_at > now() - interval '60 seconds')::int as recent,
        (select extract(epoch from now() - min(started_at)) from console.action_runs
          where actor_id = ${actorId} and executed = 1 and started_at > now() - interval '60 seconds')::float8 as oldest_age`,
    { idempotent: true },
  );
  return { cooldownLeft: Math.ceil(row?.cooldown_left ?? 0), recentByActor: row?.recent ?? 0, oldestRecentAgeSeconds: row?.oldest_age ?? 0 };
}

/**
 * Run `fn` while holding a session-level advisory lock named after the action, in the console
 * store: one run at a time per action across every console instance. Never waits: when another
 * run holds it, resolves to `{ locked: false }`. A crashed holder's lock ends with its session.
 *
 * The lock lives on a session of its own (holdConsoleSession), freshly connected, never a pooled
 * connection that may have outlived a store restart. Past `timeoutMs` the caller is answered with
 * a DbError (db.timeout) while `fn` may still be running; the lock is kept until it settles.
 */
export async function withActionLock<T>(action: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<{ locked: true; value: T } | { locked: false }> {
  const session = await holdConsoleSession();
  const late: { work: Promise<T> | null } = { work: null };
  try {
    const [row] = await session.run((sql) => sql<[{ ok: boolean }]>`select pg_try_advisory_lock(hashtext(${`recovery-console:action:${action}`})) as ok`);
    if (!row!.ok) return { locked: false };
    const work = fn();
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late.work = work;
          reject(new DbError("db.timeout", "console", `the action did not finish within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      return { locked: true, value: await Promise.race([work, deadline]) };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    // Ending the session releases the lock; a run past its deadline keeps it until it settles.
    if (late.work) void late.work.then(session.close, session.close);
    else await session.close();
  }
}

export type Approval = {
  id: string;
  action: string;
  previewId: string;
  requestedBy: string;
  requestedByEmail: string;
  params: { params: unknown; reason: string; incidentRef: string | null };
  targetCount: number;
  state: string;
  createdAt: Date;
  expiresAt: Date;
};

type ApprovalRow = {
  id: string;
  action: string;
  preview_id: string;
  requested_by: string;
  requested_by_email: string;
  params: Approval["params"];
  target_count: number;
  state: string;
  created_at: Date;
  expires_at: Date;
};

const toApproval = (r: ApprovalRow): Approval => ({
  id: r.id,
  action: r.action,
  previewId: r.preview_id,
  requestedBy: r.requested_by,
  requestedByEmail: r.requested_by_email,
  params: r.params,
  targetCount: r.target_count,
  state: r.state,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** Inside the caller's transaction: the approval, the preview's extension and the audit entry commit together. */
export async function createApproval(tx: Sql, p: Omit<Approval, "id" | "state" | "createdAt" | "expiresAt"> & { ttlSeconds: number }): Promise<Approval> {
  const [row] = await tx<ApprovalRow[]>`
    insert into console.action_approvals (action, preview_id, requested_by, requested_by_email, params, target_count, expires_at)
    values (${p.action}, ${p.previewId}, ${p.requestedBy}, ${p.requestedByEmail}, ${tx.json(p.params as never)}, ${p.targetCount},
            now() + make_interval(secs => ${p.ttlSeconds}))
    returning *`;
  return toApproval(row!);
}

export async function getApproval({ id }: { id: string }): Promise<Approval | null> {
  const rows = await withConsole((sql) => sql<ApprovalRow[]>`select * from console.action_approvals where id = ${id}`, { idempotent: true });
  return rows[0] ? toApproval(rows[0]) : null;
}

/** Atomically move a pending, unexpired approval to approved; false if someone else got there first. */
export async function claimApproval({ id, approverId, approverEmail }: { id: string; approverId: string; approverEmail: string }): Promise<boolean> {
  const rows = await withConsole(
    (sql) => sql`
      update console.action_approvals
      set state = 'approved', approved_by = ${approverId}, approved_by_email = ${approverEmail}, decided_at = now()
      where id = ${id} and state = 'pending' and expires_at > now() and requested_by <> ${approverId}
      returning id`,
  );
  return rows.length === 1;
}

export async function listPendingApprovals(): Promise<Approval[]> {
  const rows = await withConsole(
    (sql) => sql<ApprovalRow[]>`
      select * from console.action_approvals where state = 'pending' and expires_at > now() order by created_at limit 50`,
  );
  return rows.map(toApproval);
}
