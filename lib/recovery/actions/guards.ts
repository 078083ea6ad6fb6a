import "server-only";
/**
 * The guards of the recovery actions' wrapper (lib/recovery/actions/pipeline.ts): input schemas,
 * the kill switch, session and permission (admit), refusals and their audit, approval thresholds,
 * the idempotency key, cooldown and rate limit, and how a run's key is finished.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { text } from "../../validation/text.ts";
import { env, type Env } from "../../env.ts";
import { withSpan } from "../../trace.ts";
import { DbError } from "../../db/errors.ts";
import { beginRun, finishRun, getRunPressure, releaseRun } from "../../db/queries/actions.ts";
import { appendAudit, type RequestMeta } from "../audit/writer.ts";
import { auditRefusal } from "../audit/fold.ts";
import { AuthzError, type Actor } from "../access/authz.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { Permission } from "../access/permissions.ts";
import type { ActionDefinition, ActionState, AuditedAction, GuardContext } from "./types.ts";

export const MAX_AUDITED_TARGETS = 500;

export const confirmSchema = z.object({
  previewToken: text().min(1, "The preview token is missing: open the action again."),
  reason: text({ message: "Give a reason." })
    .trim()
    .min(10, "Give a reason of at least 10 characters: what you saw and why this action.")
    .max(2000, "Keep the reason under 2000 characters."),
  incidentRef: text()
    .trim()
    .max(100, "Keep the incident or ticket reference under 100 characters.")
    .optional()
    .transform((v) => v || undefined),
  confirmation: text().trim().max(20).optional(),
  idempotencyKey: z.uuid({ message: "The request has no valid idempotency key." }),
});

export const approveSchema = z.object({
  approvalId: z.uuid({ message: "Unknown approval request." }),
  idempotencyKey: z.uuid({ message: "The request has no valid idempotency key." }),
});

export function fieldErrors(err: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of err.issues) {
    const key = issue.path.join(".") || "form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export function authSecret(): string {
  const s = env().AUTH_SECRET;
  if (!s) throw new Error("AUTH_SECRET is not set: preview tokens cannot be signed");
  return s;
}

/** The console store failed at `step`: say so in the log (with the cause) and refuse. */
export function storeDown(step: string, err: unknown): ActionState<never> {
  console.error(
    `[actions] the console store failed while ${step}; refusing:`,
    err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ""}` : err,
  );
  return STORE_DOWN;
}

export function bounded<T>(items: T[]): { items: T[]; total: number; truncated: boolean } {
  return { items: items.slice(0, MAX_AUDITED_TARGETS), total: items.length, truncated: items.length > MAX_AUDITED_TARGETS };
}

export const STORE_DOWN: ActionState<never> = {
  ok: false,
  code: "audit.unavailable",
  message:
    "The console store (which holds the audit log) cannot be reached, so nothing was done. Actions need their audit. Try again, or follow the runbook's manual step.",
};

export type Audited = { actor: Actor | null; action: AuditedAction; request: RequestMeta };

/** Record a refusal (a guard said no). Best effort: a refusal changes nothing either way. */
export async function refuse(
  a: Audited,
  code: string,
  message: string,
  extra: Partial<ActionState<never>> & { detail?: Record<string, unknown> } = {},
): Promise<ActionState<never>> {
  const { detail, ...state } = extra;
  await appendAudit({
    actor: a.actor,
    action: a.action,
    outcome: "refused",
    detail: { guard: code, message, ...detail },
    request: a.request,
  }).catch((err) => console.error(`[actions] could not audit a refusal (${code}):`, err));
  return { ok: false, code, message, ...state };
}

async function admitUntraced(action: AuditedAction, permission: Permission, ctx: GuardContext): Promise<Actor | ActionState<never>> {
  if (!env().RECOVERY_ACTIONS_ENABLED) {
    return refuse(
      { actor: null, action, request: ctx.request },
      "guard.kill_switch",
      "Recovery actions are turned off on this console (RECOVERY_ACTIONS_ENABLED=0). Follow the runbook's manual steps.",
    );
  }
  try {
    return await ctx.resolveActor(permission, action);
  } catch (err) {
    if (err instanceof AuthzError) {
      if (err.status === 401) {
        await auditRefusal({ actor: null, action, outcome: "denied", detail: { permission, reason: "no session" }, request: ctx.request }, "no_session").catch(
          () => {},
        );
      }
      // A 403 was audited as `denied` by requirePermission.
      return { ok: false, code: err.code, message: err.message };
    }
    if (err instanceof DbError) return storeDown("checking the session", err);
    throw err;
  }
}

export function previewRateLimited(a: Audited, limit: number, wait: number): Promise<ActionState<never>> {
  return refuse(a, "guard.rate_limit", `You opened ${limit} previews in the last minute (the limit). Wait ${wait} s.`, {
    retryAfterSeconds: wait,
    detail: { limit, scope: "previews" },
  });
}

async function needsApprovalUntraced<T, P>(def: ActionDefinition<T, P>, count: number, e: Env): Promise<{ needed: boolean; threshold: number | undefined }> {
  const threshold = def.approvalThreshold(e);
  if (def.requiresApproval) return { needed: await def.requiresApproval(count, e), threshold };
  return { needed: threshold !== undefined && count > threshold, threshold };
}

export function paramsHash(v: unknown): string {
  return createHash("sha256").update(canonicalJson(v)).digest("hex");
}

async function claimKeyUntraced(a: Audited & { actor: Actor }, key: string, hash: string): Promise<ActionState | null> {
  let claim;
  try {
    claim = await beginRun({ key, action: a.action, actorId: a.actor.id, paramsHash: hash });
  } catch (err) {
    return storeDown("claiming the idempotency key", err);
  }
  if (claim.claimed) return null;
  const first = claim.existing;
  if (first.paramsHash !== hash || first.action !== a.action || first.actorId !== a.actor.id) {
    return refuse(a, "guard.idempotency_mismatch", "This idempotency key was already used for a different request. Nothing was done; open the action again.");
  }
  if (first.state === "running") {
    return { ok: false, status: "in_progress", code: "guard.in_progress", message: "This request is already running; its result will show when it finishes." };
  }
  await appendAudit({
    actor: a.actor,
    action: a.action,
    outcome: "refused",
    detail: { guard: "idempotency_replay", message: "duplicate request; the first result was returned" },
    request: a.request,
  }).catch(() => {});
  return first.result as ActionState;
}

async function pressureCheckUntraced(a: Audited & { actor: Actor }, cooldownSeconds: number): Promise<ActionState | null> {
  const e = env();
  const p = await getRunPressure({ action: a.action, actorId: a.actor.id, cooldownSeconds });
  if (p.cooldownLeft > 0) {
    return refuse(
      a,
      "guard.cooldown",
      `This action ran moments ago; it may run again in ${p.cooldownLeft} s. Check whether the last run worked before repeating it.`,
      {
        retryAfterSeconds: p.cooldownLeft,
      },
    );
  }
  if (p.recentByActor >= e.ACTION_RATE_LIMIT_PER_MINUTE) {
    const wait = Math.max(1, Math.ceil(60 - p.oldestRecentAgeSeconds));
    return refuse(a, "guard.rate_limit", `You ran ${p.recentByActor} actions in the last minute (limit ${e.ACTION_RATE_LIMIT_PER_MINUTE}). Wait ${wait} s.`, {
      retryAfterSeconds: wait,
    });
  }
  return null;
}

/** A refusal before any effect: the key is given back (see releaseRun), so a retry is judged afresh. */
export async function finishRefused(key: string, state: ActionState): Promise<ActionState> {
  await releaseRun({ key }).catch((err) => console.error("[actions] could not release an idempotency key:", err));
  return state;
}

/**
 * The store failed (or the lock's deadline passed) while the run may still be going on: keep the
 * key, so neither a retry with it nor anything else can start the same run again; the run's own
 * result overwrites this answer if it completes.
 */
export async function finishUncertain(key: string, state: ActionState): Promise<ActionState> {
  await finishRun({ key, outcome: "unknown", result: state }).catch(() => {});
  return state;
}

/** A request that is now waiting for approval: a retry with its key gets this answer, not a second approval. */
export async function finishPendingApproval(key: string, state: ActionState): Promise<ActionState> {
  await finishRun({ key, outcome: "pending", result: state }).catch(() => {});
  return state;
}

/**
 * Each guard as a span (lib/trace.ts) under the action's: which guard, for which action, and the
 * code it refused with, if it did.
 */
async function guardSpan<R>(guard: string, action: string, fn: () => Promise<R>): Promise<R> {
  return withSpan(`action.guard ${guard}`, { "recovery.action": action, "recovery.guard": guard }, async (span) => {
    const r = await fn();
    const refusal = r as { ok?: unknown; code?: unknown } | null;
    if (refusal && refusal.ok === false && typeof refusal.code === "string") span.setAttribute("recovery.guard.refused", refusal.code);
    return r;
  });
}

/** Steps 1-3: kill switch, session, permission. Returns the actor or the state to return. */
export function admit(action: AuditedAction, permission: Permission, ctx: GuardContext): Promise<Actor | ActionState<never>> {
  return guardSpan("admit", action, () => admitUntraced(action, permission, ctx));
}

/** Whether this many targets need a second person's approval (step 11). */
export function needsApproval<T, P>(def: ActionDefinition<T, P>, count: number, e: Env): Promise<{ needed: boolean; threshold: number | undefined }> {
  return guardSpan("approval", def.name, () => needsApprovalUntraced(def, count, e));
}

/** Step 8: claim the idempotency key, or answer as the first request with it did. */
export function claimKey(a: Audited & { actor: Actor }, key: string, hash: string): Promise<ActionState | null> {
  return guardSpan("idempotency", a.action, () => claimKeyUntraced(a, key, hash));
}

/** Steps 9-10 inside the lock: cooldown and rate limit. */
export function pressureCheck(a: Audited & { actor: Actor }, cooldownSeconds: number): Promise<ActionState | null> {
  return guardSpan("cooldown", a.action, () => pressureCheckUntraced(a, cooldownSeconds));
}
