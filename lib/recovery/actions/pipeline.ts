import "server-only";
/**
 * The one wrapper every recovery action goes through, on the server.
 *
 * Preview: kill switch → session → permission → previews per user per minute → the action's
 * preview, stored with its exact target set and parameters and handed back as a signed, user- and
 * action-bound token (2 minutes), good for one confirm.
 *
 * Confirm, in order:
 *   1. kill switch (RECOVERY_ACTIONS_ENABLED)        7. preview token (signed, bound, unexpired), and
 *   2. session                                          the same parameters the preview was made with;
 *   3. permission (actions.execute: on-call, admin,     then 6. the typed confirmation (the count the
 *      read fresh from the store)                         preview showed), which needs the preview
 *   4. zod-validated input                           · sudo mode: a sign-in within SUDO_MAX_AGE_MINUTES
 *   5. a reason of 10+ characters, optional ref       8. idempotency key (a replay returns the first result),
 *                                                       then the preview is used up (one confirm each)
 *   9. one run at a time per action (advisory lock in the console store, across instances)
 *  10. cooldown per action, rate limit per user
 *  11. two-person approval above APPROVAL_THRESHOLD_ROWS / _SESSIONS
 * then: audit intent → effect → audit outcome → re-run the related check.
 *
 * Approve: the approver passes the same sudo check as the requester, and at execution the
 * requester must still be enabled and still hold actions.execute (read from the store).
 *
 * No effect without its audit: the intent entry is written before the effect, and if it cannot be
 * written the effect does not happen. Every refusal and denial is an audit entry too.
 */
import { randomUUID } from "node:crypto";
import { env } from "../../env.ts";
import { DbError } from "../../db/errors.ts";
import { withConsole, type Sql } from "../../db/client.ts";
import { getUserSessionState } from "../../db/queries/users.ts";
import {
  claimApproval,
  consumePreview,
  createApproval,
  createPreview,
  extendPreview,
  finishRun,
  getApproval,
  getPreview,
  getPreviewPressure,
  markRunExecuted,
  withActionLock,
  type StoredPreview,
} from "../../db/queries/actions.ts";
import { appendAudit, type RequestMeta } from "../audit/writer.ts";
import { authTimeDetail } from "../../auth/session-policy.ts";
import { AuthzError, ReauthRequiredError, requireRecentAuth, type Actor } from "../access/authz.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { CheckResult } from "../health/checks/types.ts";
import { can } from "../access/permissions.ts";
import { signPreviewToken, verifyPreviewToken } from "./preview-token.ts";
import { healthMonitor } from "../health/snapshot.ts";
import { withSpan } from "../../trace.ts";
import {
  admit,
  approveSchema,
  authSecret,
  bounded,
  claimKey,
  confirmSchema,
  fieldErrors,
  finishPendingApproval,
  finishRefused,
  finishUncertain,
  needsApproval,
  paramsHash,
  pressureCheck,
  previewRateLimited,
  refuse,
  storeDown,
  STORE_DOWN,
} from "./guards.ts";
import {
  UNKNOWN_APPROVAL_ACTION,
  type ActionDefinition,
  type ActionState,
  type AuditedAction,
  type ExecuteResult,
  type GuardContext,
  type PreviewData,
  type PreviewView,
} from "./types.ts";

/** Preview: what the action would touch now, stored and bound to a signed token. */
export function previewAction<T, P>(def: ActionDefinition<T, P>, rawParams: unknown, ctx: GuardContext): Promise<ActionState<PreviewView>> {
  return actionSpan("preview", def.name, () => previewUntraced(def, rawParams, ctx));
}

async function previewUntraced<T, P>(def: ActionDefinition<T, P>, rawParams: unknown, ctx: GuardContext): Promise<ActionState<PreviewView>> {
  const actor = await admit(def.name, "actions.execute", ctx);
  if (!("id" in actor)) return actor;
  const parsed = def.params.safeParse(rawParams ?? {});
  if (!parsed.success) return { ok: false, code: "guard.input", message: "The request is not valid.", errors: fieldErrors(parsed.error) };
  const e = env();
  const a = { actor, action: def.name, request: ctx.request };
  // Previews per user per minute: checked before the preview queries the trading DB, and again,
  // atomically, when it is stored.
  let recent;
  try {
    recent = await getPreviewPressure({ actorId: actor.id });
  } catch (err) {
    return storeDown("counting recent previews", err);
  }
  if (recent.count >= e.PREVIEW_RATE_LIMIT_PER_MINUTE) return previewRateLimited(a, e.PREVIEW_RATE_LIMIT_PER_MINUTE, recent.retryAfterSeconds);
  let data: PreviewData<T>;
  try {
    data = await def.preview(parsed.data);
  } catch (err) {
    console.error(`[actions] preview of ${def.name} failed:`, err);
    const message = err instanceof DbError ? err.publicMessage : err instanceof Error ? err.message : String(err);
    return { ok: false, code: "preview.failed", message: `Could not build the preview: ${message}` };
  }
  let stored: Awaited<ReturnType<typeof createPreview>>;
  try {
    stored = await createPreview({
      action: def.name,
      actorId: actor.id,
      params: parsed.data,
      targets: data.targets,
      excluded: data.excluded,
      summary: data.summary,
      ttlSeconds: e.PREVIEW_TTL_SECONDS,
      perMinute: e.PREVIEW_RATE_LIMIT_PER_MINUTE,
    });
  } catch (err) {
    return storeDown("storing the preview", err);
  }
  if (!stored.ok) return previewRateLimited(a, e.PREVIEW_RATE_LIMIT_PER_MINUTE, stored.retryAfterSeconds);
  const token = signPreviewToken({ previewId: stored.id, action: def.name, actorId: actor.id, expiresAt: stored.expiresAt.getTime() }, authSecret());
  const approval = await needsApproval(def, data.targets.length, e).catch(() => ({ needed: true, threshold: undefined }));
  return {
    ok: true,
    result: {
      token,
      expiresAt: stored.expiresAt.toISOString(),
      count: data.targets.length,
      columns: data.columns,
      rows: data.rows,
      excluded: data.excluded,
      summary: data.summary,
      needsApproval: approval.needed,
      destructive: def.destructive,
      confirmWord: def.destructive ? expectedConfirmation(def, data.targets.length) : null,
    },
  };
}

async function currentCheck(id: string | null): Promise<CheckResult | null> {
  if (!id) return null;
  try {
    return (await healthMonitor().get()).checks.find((c) => c.id === id) ?? null;
  } catch {
    return null;
  }
}

type RunInput<T, P> = {
  def: ActionDefinition<T, P>;
  actor: Actor;
  preview: StoredPreview<T>;
  params: P;
  reason: string;
  incidentRef: string | undefined;
  key: string;
  request: RequestMeta;
  extraDetail?: Record<string, unknown>;
};

/**
 * A request for a second person's approval: the approval, its preview kept as long, and its
 * `pending` audit entry, all or nothing. The same for a person's confirm and automation's run.
 */
async function requestApproval<T, P>(r: {
  def: ActionDefinition<T, P>;
  preview: StoredPreview<T>;
  actor: Actor;
  params: P;
  reason: string;
  incidentRef: string | null;
  threshold: number | undefined;
  request: RequestMeta;
  detail?: Record<string, unknown>;
}) {
  const count = r.preview.targets.length;
  return withConsole((sql) =>
    sql.begin(async (tx) => {
      const t = tx as unknown as Sql;
      const created = await createApproval(t, {
        action: r.def.name,
        previewId: r.preview.id,
        requestedBy: r.actor.id,
        requestedByEmail: r.actor.email,
        params: { params: r.params, reason: r.reason, incidentRef: r.incidentRef },
        targetCount: count,
        ttlSeconds: env().APPROVAL_TTL_SECONDS,
      });
      await extendPreview(t, { id: r.preview.id, until: created.expiresAt });
      await appendAudit(
        {
          actor: r.actor,
          action: r.def.name,
          outcome: "pending",
          reason: r.reason,
          incidentRef: r.incidentRef,
          params: r.params,
          detail: { guard: "approval", approvalId: created.id, count, threshold: r.threshold, expiresAt: created.expiresAt.toISOString(), ...r.detail },
          request: r.request,
        },
        { tx: t },
      );
      return created;
    }),
  );
}

/** Intent → effect → outcome → re-check. The caller holds the action lock and has claimed the key. */
async function runEffect<T, P>(r: RunInput<T, P>): Promise<ActionState> {
  const started = performance.now();
  const targets = r.preview.targets;
  const targetIds = targets.map((t) => r.def.targetKey(t));
  const before = await currentCheck(r.def.checkId);
  const requestId = r.request.requestId ?? randomUUID();
  let intent;
  try {
    intent = await auditStep("intent", r.def.name, {
      actor: r.actor,
      action: r.def.name,
      phase: "intent",
      outcome: "pending",
      reason: r.reason,
      incidentRef: r.incidentRef ?? null,
      params: r.params,
      detail: {
        preview: { id: r.preview.id, count: targets.length, targets: bounded(targetIds), excluded: r.preview.excluded },
        idempotencyKey: r.key,
        ...authTimeDetail(r.actor.authTime),
        before: before && { status: before.status, value: before.value, observedAt: before.observedAt },
        ...r.extraDetail,
      },
      request: { ...r.request, requestId },
    });
  } catch (err) {
    // No intent, no effect.
    console.error(`[actions] could not write the intent of ${r.def.name}; not executing:`, err);
    return finishRefused(r.key, STORE_DOWN);
  }
  try {
    await markRunExecuted({ key: r.key, intentSeq: intent.seq });
  } catch (err) {
    // The intent is on record but the effect will not start: say so in its outcome, so the log
    // shows no run whose fate is unknown.
    console.error(`[actions] could not mark ${r.def.name} as executing; not executing:`, err);
    const cause = err instanceof DbError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    const notStarted = {
      actor: r.actor,
      action: r.def.name,
      phase: "outcome" as const,
      intentSeq: intent.seq,
      outcome: "failed" as const,
      reason: r.reason,
      incidentRef: r.incidentRef ?? null,
      params: r.params,
      detail: { effect: "not started", cause, message: "The run was not started: its claim could not be recorded. Nothing was changed." },
      request: { ...r.request, requestId },
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await appendAudit(notStarted);
        break;
      } catch (e2) {
        console.error(`[actions] could not write the not-started outcome of ${r.def.name} (attempt ${attempt + 1}):`, e2);
      }
    }
    return finishRefused(r.key, STORE_DOWN);
  }

  let result: ExecuteResult;
  try {
    result = await withSpan("action.effect", { "recovery.action": r.def.name, "recovery.action.targets": targets.length }, async (span) => {
      const res = await r.def.execute(targets, { params: r.params, idempotencyKey: r.key, requestId });
      span.setAttribute("recovery.action.outcome", res.outcome);
      return res;
    });
  } catch (err) {
    console.error(`[actions] ${r.def.name} failed:`, err);
    const message = err instanceof DbError ? err.publicMessage : err instanceof Error ? err.message : String(err);
    result = { outcome: "failed", perTarget: [], message: `The action failed: ${message}`, error: message };
  }

  const checkId = r.def.checkId;
  const after = checkId
    ? await withSpan("action.recheck", { "recovery.action": r.def.name, "recovery.check.id": checkId }, () => healthMonitor().refreshCheck(checkId)).catch(
        () => null,
      )
    : null;
  const durationMs = Math.round(performance.now() - started);
  let outcomeSeq: number | null = null;
  const outcomeEntry = {
    actor: r.actor,
    action: r.def.name,
    phase: "outcome" as const,
    intentSeq: intent.seq,
    outcome: result.outcome,
    reason: r.reason,
    incidentRef: r.incidentRef ?? null,
    params: r.params,
    detail: {
      message: result.message,
      perTarget: bounded(result.perTarget),
      error: result.error ?? null,
      durationMs,
      before: before && { status: before.status, value: before.value, observedAt: before.observedAt },
      after: after && { status: after.status, value: after.value, observedAt: after.observedAt },
      ...result.detail,
    },
    request: { ...r.request, requestId },
  };
  // One retry: the intent is already written, so a lost outcome shows as "outcome unknown".
  for (let attempt = 0; attempt < 2 && outcomeSeq === null; attempt++) {
    try {
      outcomeSeq = (await auditStep("outcome", r.def.name, outcomeEntry)).seq;
    } catch (err) {
      console.error(`[actions] could not write the outcome of ${r.def.name} (attempt ${attempt + 1}):`, err);
    }
  }
  const state: ActionState = {
    ok: result.outcome === "succeeded" || result.outcome === "partial",
    status: "done",
    code: `outcome.${result.outcome}`,
    message:
      outcomeSeq === null ? `${result.message} (Warning: the outcome could not be written to the audit log; it shows as "outcome unknown".)` : result.message,
    result: { ...result, intentSeq: intent.seq, outcomeSeq, before, after, durationMs },
  };
  await finishRun({ key: r.key, outcome: result.outcome, result: state }).catch((err) => console.error("[actions] could not record the run's result:", err));
  return state;
}

/** What a destructive action's typed confirmation must be. */
export function expectedConfirmation(def: Pick<ActionDefinition<unknown, unknown>, "confirmationWords">, count: number): string {
  return def.confirmationWords ?? String(count);
}

/** Confirm: execute exactly the previewed set, behind every guard. */
export function confirmAction<T, P>(def: ActionDefinition<T, P>, raw: unknown, ctx: GuardContext): Promise<ActionState> {
  return actionSpan("confirm", def.name, () => confirmUntraced(def, raw, ctx));
}

async function confirmUntraced<T, P>(def: ActionDefinition<T, P>, raw: unknown, ctx: GuardContext): Promise<ActionState> {
  const admitted = await admit(def.name, "actions.execute", ctx);
  if (!("id" in admitted)) return admitted;
  const actor = admitted;
  const a = { actor, action: def.name, request: ctx.request };
  const e = env();
  const now = ctx.now?.() ?? Date.now();

  // 4-5. Input and reason.
  const input = confirmSchema.extend({ params: def.params.optional() }).safeParse(raw);
  if (!input.success) return refuse(a, "guard.input", "Some fields need attention.", { errors: fieldErrors(input.error) });
  const { previewToken, reason, incidentRef, confirmation, idempotencyKey } = input.data;
  const params = (input.data.params ?? {}) as P;

  // 7. The preview token and the stored preview it names.
  const verified = verifyPreviewToken(previewToken, { action: def.name, actorId: actor.id, now }, authSecret());
  if (!verified.ok) return refuse(a, verified.problem.code, verified.problem.message);
  let preview: StoredPreview<T> | null;
  try {
    preview = await getPreview<T>({ id: verified.claims.previewId });
  } catch (err) {
    return storeDown("reading the preview", err);
  }
  if (!preview || preview.action !== def.name || preview.actorId !== actor.id) {
    return refuse(a, "preview.invalid", "The preview no longer exists. Open the action again.");
  }
  // The confirm runs what was previewed: the same parameters, exactly.
  if (canonicalJson(params) !== canonicalJson(preview.params ?? {})) {
    return refuse(a, "preview.mismatch", "These parameters differ from the ones the preview was made with. Nothing was done; open the action again.", {
      detail: { previewed: preview.params ?? {}, given: params as unknown },
    });
  }

  // 6. Typed confirmation: the number of targets the preview showed, or the action's own words.
  const expected = expectedConfirmation(def, preview.targets.length);
  if (def.destructive && confirmation !== expected) {
    const what = def.confirmationWords ? "" : " (the number of targets in the preview)";
    return refuse(a, "guard.confirmation", `Type ${expected}${what} to confirm.`, {
      errors: { confirmation: [`Type ${expected} to confirm.`] },
    });
  }

  // Sudo mode: destructive actions need a recent interactive sign-in.
  if (def.destructive) {
    try {
      requireRecentAuth(actor, { now });
    } catch (err) {
      if (err instanceof ReauthRequiredError) return refuse(a, err.code, err.message, { reauth: { method: err.method } });
      if (err instanceof AuthzError) return refuse(a, err.code, err.message);
      throw err;
    }
  }

  // 8. Idempotency.
  const hash = paramsHash({ action: def.name, previewId: preview.id, params, reason, incidentRef: incidentRef ?? null, confirmation: confirmation ?? null });
  const replay = await claimKey(a, idempotencyKey, hash);
  if (replay) return replay;
  // A preview is confirmed once: a second confirm of it (with another key) is refused.
  let fresh;
  try {
    fresh = await consumePreview({ id: preview.id, key: idempotencyKey });
  } catch (err) {
    return finishRefused(idempotencyKey, storeDown("using up the preview", err));
  }
  if (!fresh)
    return finishRefused(idempotencyKey, await refuse(a, "preview.used", "This preview was already confirmed. Open the action again for a fresh preview."));

  // 9. One run at a time per action, across instances.
  let locked;
  try {
    locked = await withActionLock(def.name, async () => {
      // 10. Cooldown and rate limit.
      const pressure = await pressureCheck(a, def.cooldownSeconds(e));
      if (pressure) return finishRefused(idempotencyKey, pressure);
      // 11. Two-person approval above the blast radius.
      const { needed, threshold } = await needsApproval(def, preview.targets.length, e);
      if (needed) {
        // The approval, its preview kept as long, and its audit entry: all or nothing.
        let approval;
        try {
          approval = await requestApproval({ def, preview, actor, params, reason, incidentRef: incidentRef ?? null, threshold, request: ctx.request });
        } catch (err) {
          if (err instanceof DbError) return finishRefused(idempotencyKey, storeDown("requesting the approval", err));
          throw err;
        }
        const minutes = Math.round(e.APPROVAL_TTL_SECONDS / 60);
        return finishPendingApproval(idempotencyKey, {
          ok: true,
          status: "approval_required",
          code: "guard.approval_required",
          approvalId: approval.id,
          message: `${threshold !== undefined ? `${preview.targets.length} targets is above the approval threshold (${threshold}).` : "This action needs two people."} A second on-call must approve within ${minutes} minutes from their own session.`,
        });
      }
      return runEffect({ def, actor, preview, params, reason, incidentRef, key: idempotencyKey, request: ctx.request });
    });
  } catch (err) {
    if (err instanceof DbError) return finishUncertain(idempotencyKey, storeDown("running under the action lock", err));
    throw err;
  }
  if (!locked.locked) {
    return finishRefused(
      idempotencyKey,
      await refuse(
        a,
        "guard.busy",
        "Another run of this action is in progress (perhaps by a colleague). Wait for it to finish and check its result before trying again.",
      ),
    );
  }
  return locked.value;
}

/** A second on-call approves a pending large action; it then runs under the approver's session. */
export function approveAction<T, P>(lookup: (name: string) => ActionDefinition<T, P> | undefined, raw: unknown, ctx: GuardContext): Promise<ActionState> {
  return actionSpan("approve", null, () => approveUntraced(lookup, raw, ctx));
}

async function approveUntraced<T, P>(lookup: (name: string) => ActionDefinition<T, P> | undefined, raw: unknown, ctx: GuardContext): Promise<ActionState> {
  const parsed = approveSchema.safeParse(raw);
  let pending = null;
  let lookupFailed: unknown = null;
  if (parsed.success) {
    try {
      pending = await getApproval({ id: parsed.data.approvalId });
    } catch (err) {
      lookupFailed = err;
    }
  }
  const def = pending ? lookup(pending.action) : undefined;
  const actionName: AuditedAction = def?.name ?? UNKNOWN_APPROVAL_ACTION;
  const admitted = await admit(actionName, "actions.approve", ctx);
  if (!("id" in admitted)) return admitted;
  const actor = admitted;
  const a = { actor, action: actionName, request: ctx.request };
  // Automation never approves, its own requests least of all: approving is a person's decision.
  if (actor.id === AUTOMATION_ACTOR.id) return refuse(a, "approval.system", "Automation cannot approve a recovery action: a person must.");
  if (!parsed.success) return refuse(a, "guard.input", "The approval request is not valid.", { errors: fieldErrors(parsed.error) });
  if (lookupFailed) return storeDown("reading the approval", lookupFailed);
  if (!pending || !def) return refuse(a, "approval.not_found", "This approval request does not exist.");
  if (pending.requestedBy === actor.id) return refuse(a, "approval.self", "You cannot approve your own request: a second on-call must approve it.");
  const now = ctx.now?.() ?? Date.now();
  if (pending.state !== "pending" || pending.expiresAt.getTime() < now) {
    return refuse(a, "approval.closed", `This request is ${pending.state === "pending" ? "expired" : pending.state}. Ask the requester to preview again.`);
  }
  // Sudo mode: approving a destructive action needs the same recent sign-in as requesting it.
  if (def.destructive) {
    try {
      requireRecentAuth(actor, { now });
    } catch (err) {
      if (err instanceof ReauthRequiredError) return refuse(a, err.code, err.message, { reauth: { method: err.method } });
      if (err instanceof AuthzError) return refuse(a, err.code, err.message);
      throw err;
    }
  }
  const preview = await getPreview<T>({ id: pending.previewId }).catch(() => null);
  if (!preview) return refuse(a, "preview.invalid", "The approved preview no longer exists.");

  const key = parsed.data.idempotencyKey;
  const replay = await claimKey(a, key, paramsHash({ approvalId: pending.id }));
  if (replay) return replay;
  const e = env();
  let locked;
  try {
    locked = await withActionLock(def.name, async () => {
      const pressure = await pressureCheck(a, def.cooldownSeconds(e));
      if (pressure) return finishRefused(key, pressure);
      // The action runs on the requester's behalf: they must still be enabled and allowed to run it, now.
      // Automation's request stands while automation may run (AUTOMATION_ENABLED; the kill switch was checked on entry).
      if (pending.requestedBy === AUTOMATION_ACTOR.id && !e.AUTOMATION_ENABLED) {
        return finishRefused(
          key,
          await refuse(
            a,
            "approval.requester_revoked",
            "Automation asked for this run, and automation is now turned off on this console (AUTOMATION_ENABLED=0). Nothing was done.",
            {
              detail: { approvalId: pending.id, requester: pending.requestedByEmail },
            },
          ),
        );
      }
      let requester;
      try {
        requester =
          pending.requestedBy === AUTOMATION_ACTOR.id ? { disabled: false, role: "oncall" as const } : await getUserSessionState({ id: pending.requestedBy });
      } catch (err) {
        if (err instanceof DbError) return finishRefused(key, storeDown("re-checking the requester", err));
        throw err;
      }
      if (!requester || requester.disabled || !can(requester.role, "actions.execute")) {
        return finishRefused(
          key,
          await refuse(
            a,
            "approval.requester_revoked",
            `The requester (${pending.requestedByEmail}) may no longer run this action (disabled, or their role changed). Nothing was done.`,
            {
              detail: { approvalId: pending.id, requester: pending.requestedByEmail, disabled: requester?.disabled ?? null, role: requester?.role ?? null },
            },
          ),
        );
      }
      if (!(await claimApproval({ id: pending.id, approverId: actor.id, approverEmail: actor.email }))) {
        return finishRefused(key, await refuse(a, "approval.closed", "Someone else approved it first, or it expired."));
      }
      return runEffect({
        def,
        actor,
        preview,
        params: pending.params.params as P,
        reason: pending.params.reason,
        incidentRef: pending.params.incidentRef ?? undefined,
        key,
        request: ctx.request,
        extraDetail: { approval: { id: pending.id, requestedBy: pending.requestedByEmail, approvedBy: actor.email } },
      });
    });
  } catch (err) {
    if (err instanceof DbError) return finishUncertain(key, storeDown("running the approved action under its lock", err));
    throw err;
  }
  if (!locked.locked) return finishRefused(key, await refuse(a, "guard.busy", "Another run of this action is in progress. Try again when it finishes."));
  return locked.value;
}

// ── Automation (lib/recovery/automation) ─────────────────────────────────────────────────────

/**
 * The actor of every automated run: audited as `automation`, never a user, never able to approve.
 * It holds no role: it runs only what a policy file names, through runAutomated below.
 */
export const AUTOMATION_ACTOR: Actor = { id: "system:automation", email: "automation", role: "system" as Actor["role"], authTime: 0, via: "system" };

export type AutomatedRunInput = {
  def: ActionDefinition<unknown, unknown>;
  params: unknown;
  /** The policy's name: the audit's reason. */
  policy: string;
  incidentRef: string | null;
  /** One key per policy, incident and run number: a second leader (or a retry) cannot run it twice. */
  idempotencyKey: string;
  /** Above this many targets, hand over to a person. */
  maxTargets: number;
  dryRun: boolean;
  /** Called once the intent is about to be written (the run row goes to `running`). */
  onStart?: () => Promise<void>;
};

export type AutomatedRunResult =
  | { kind: "ran"; state: ActionState }
  | { kind: "would_run"; auditSeq: number; count: number; summary: string; needsApproval: boolean }
  | { kind: "approval_required"; approvalId: string; count: number; threshold: number | undefined; message: string }
  | { kind: "handed_over"; count: number; maxTargets: number; message: string }
  | { kind: "refused"; code: string; message: string; retryAfterSeconds?: number };

const AUTOMATION_REQUEST: RequestMeta = { ip: null, userAgent: "recovery-console automation" };

/**
 * An automated run, through the same pipeline as a person's confirm: kill switches → parameters →
 * preview (stored, with its exact targets) → target limit (above it, hand over) → [dry-run: a
 * "would run" entry, nothing changed] → idempotency → the preview used up → the action's lock →
 * cooldown and rate limit → approval threshold (automation asks a person, never approves) → intent →
 * effect → outcome → re-check. The actor is AUTOMATION_ACTOR and the reason the policy's name.
 */
export function runAutomated(i: AutomatedRunInput): Promise<AutomatedRunResult> {
  return actionSpan("automated", i.def.name, () => runAutomatedUntraced(i));
}

async function runAutomatedUntraced(i: AutomatedRunInput): Promise<AutomatedRunResult> {
  const e = env();
  const def = i.def;
  const actor = AUTOMATION_ACTOR;
  const request = { ...AUTOMATION_REQUEST, requestId: randomUUID() };
  const a = { actor, action: def.name, request };
  const refused = async (
    code: string,
    message: string,
    extra: Partial<ActionState<never>> & { detail?: Record<string, unknown> } = {},
  ): Promise<AutomatedRunResult> => {
    const st = await refuse(a, code, message, { ...extra, detail: { policy: i.policy, incidentRef: i.incidentRef, ...extra.detail } });
    return { kind: "refused", code, message, ...(st.retryAfterSeconds !== undefined ? { retryAfterSeconds: st.retryAfterSeconds } : {}) };
  };
  if (!e.RECOVERY_ACTIONS_ENABLED)
    return refused("guard.kill_switch", "Recovery actions are turned off on this console (RECOVERY_ACTIONS_ENABLED=0): automation does nothing.");
  if (!e.AUTOMATION_ENABLED) return refused("automation.disabled", "Automation is turned off on this console (AUTOMATION_ENABLED=0).");
  const parsed = def.params.safeParse(i.params ?? {});
  if (!parsed.success)
    return refused("guard.input", `The policy's params are not valid for ${def.name}: ${parsed.error.issues.map((x) => x.message).join("; ")}`);
  const params = parsed.data;

  let data: PreviewData<unknown>;
  try {
    data = await def.preview(params);
  } catch (err) {
    const message = err instanceof DbError ? err.publicMessage : err instanceof Error ? err.message : String(err);
    return refused("preview.failed", `Could not build the preview: ${message}`);
  }
  const count = data.targets.length;
  const previewDetail = { count, targets: bounded(data.targets.map((t) => def.targetKey(t))), excluded: data.excluded, summary: data.summary };
  if (count > i.maxTargets) {
    const message = `The preview has ${count} targets, above the policy's limit of ${i.maxTargets}: automation hands over to a person.`;
    await refused("automation.handover", message, { detail: { preview: previewDetail, maxTargets: i.maxTargets } });
    return { kind: "handed_over", count, maxTargets: i.maxTargets, message };
  }
  const approval = await needsApproval(def, count, e).catch(() => ({ needed: true, threshold: undefined }));
  if (i.dryRun) {
    let entry;
    try {
      entry = await appendAudit({
        actor,
        action: "automation.would_run",
        outcome: "succeeded",
        reason: i.policy,
        incidentRef: i.incidentRef,
        params,
        detail: {
          mode: "dry-run",
          action: def.name,
          message: "Dry run: automation would run this action now. Nothing was changed.",
          preview: previewDetail,
          needsApproval: approval.needed,
        },
        request,
      });
    } catch (err) {
      console.error("[automation] could not write a would-run entry:", err);
      return { kind: "refused", code: STORE_DOWN.code!, message: STORE_DOWN.message! };
    }
    return { kind: "would_run", auditSeq: entry.seq, count, summary: data.summary, needsApproval: approval.needed };
  }

  let stored: Awaited<ReturnType<typeof createPreview>>;
  try {
    stored = await createPreview({
      action: def.name,
      actorId: actor.id,
      params,
      targets: data.targets,
      excluded: data.excluded,
      summary: data.summary,
      ttlSeconds: e.PREVIEW_TTL_SECONDS,
      perMinute: e.PREVIEW_RATE_LIMIT_PER_MINUTE,
    });
  } catch (err) {
    return { kind: "refused", code: "audit.unavailable", message: storeDown("storing the automated preview", err).message! };
  }
  if (!stored.ok)
    return refused("guard.rate_limit", `Automation opened ${e.PREVIEW_RATE_LIMIT_PER_MINUTE} previews in the last minute (the limit).`, {
      retryAfterSeconds: stored.retryAfterSeconds,
    });
  const preview = await getPreview<unknown>({ id: stored.id }).catch(() => null);
  if (!preview) return { kind: "refused", code: "preview.invalid", message: "The automated preview could not be read back." };

  const hash = paramsHash({ action: def.name, automation: i.policy, incidentRef: i.incidentRef, key: i.idempotencyKey });
  const replay = await claimKey(a, i.idempotencyKey, hash);
  if (replay) return { kind: "refused", code: replay.code ?? "guard.in_progress", message: replay.message ?? "This automated run was already claimed." };
  if (!(await consumePreview({ id: preview.id, key: i.idempotencyKey }).catch(() => false))) {
    await finishRefused(i.idempotencyKey, STORE_DOWN);
    return { kind: "refused", code: "preview.used", message: "The automated preview could not be used." };
  }

  let locked;
  try {
    locked = await withActionLock(def.name, async (): Promise<AutomatedRunResult> => {
      const pressure = await pressureCheck(a, def.cooldownSeconds(e));
      if (pressure) {
        await finishRefused(i.idempotencyKey, pressure);
        return {
          kind: "refused",
          code: pressure.code!,
          message: pressure.message!,
          ...(pressure.retryAfterSeconds !== undefined ? { retryAfterSeconds: pressure.retryAfterSeconds } : {}),
        };
      }
      if (approval.needed) {
        const created = await requestApproval({
          def,
          preview,
          actor,
          params,
          reason: i.policy,
          incidentRef: i.incidentRef,
          threshold: approval.threshold,
          request,
          detail: { automation: { policy: i.policy } },
        });
        const message = `${count} targets is above the approval threshold${approval.threshold !== undefined ? ` (${approval.threshold})` : ""}: automation asked a person to approve (automation never approves itself).`;
        await finishPendingApproval(i.idempotencyKey, {
          ok: true,
          status: "approval_required",
          code: "guard.approval_required",
          approvalId: created.id,
          message,
        });
        return { kind: "approval_required", approvalId: created.id, count, threshold: approval.threshold, message };
      }
      await i.onStart?.();
      const state = await runEffect({
        def,
        actor,
        preview,
        params,
        reason: i.policy,
        incidentRef: i.incidentRef ?? undefined,
        key: i.idempotencyKey,
        request,
        extraDetail: { automation: { policy: i.policy } },
      });
      return { kind: "ran", state };
    });
  } catch (err) {
    if (err instanceof DbError) {
      await finishUncertain(i.idempotencyKey, storeDown("running the automated action under its lock", err));
      return { kind: "refused", code: "audit.unavailable", message: STORE_DOWN.message! };
    }
    throw err;
  }
  if (!locked.locked) {
    await finishRefused(i.idempotencyKey, STORE_DOWN);
    const message = "Another run of this action is in progress (perhaps by a person): automation waits and looks again.";
    await refuse(a, "guard.busy", message, { detail: { policy: i.policy } });
    return { kind: "refused", code: "guard.busy", message };
  }
  return locked.value;
}

/**
 * A pipeline stage as a span (lib/trace.ts): preview, confirm, approve or an automated run, with the
 * action's name and the code it ended with. Its guards, audit entries, effect and re-check are its
 * children; what a person typed (the reason) is never an attribute.
 */
function actionSpan<R>(stage: string, action: string | null, fn: () => Promise<R>): Promise<R> {
  return withSpan(`action.${stage}`, action ? { "recovery.action": action } : {}, async (span) => {
    const r = await fn();
    const code = (r as { code?: unknown } | null)?.code;
    if (typeof code === "string") span.setAttribute("recovery.action.code", code);
    return r;
  });
}

/** The intent or outcome entry of a run, as its own span. */
function auditStep(phase: "intent" | "outcome", action: string, entry: Parameters<typeof appendAudit>[0]): ReturnType<typeof appendAudit> {
  return withSpan(`action.audit ${phase}`, { "recovery.action": action, "recovery.audit.phase": phase }, () => appendAudit(entry));
}
