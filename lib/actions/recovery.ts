/**
 * The recovery actions' results in the one shape (lib/actions/result.ts). The recovery wrapper
 * (lib/recovery/actions/pipeline.ts) keeps its own richer state internally; the server actions
 * (app/actions/recovery.ts) map it here, at the boundary, so callers see one shape and one
 * vocabulary of codes.
 */
import type { ActionResult as RunResult, ActionState } from "../recovery/actions/types.ts";
import { toErrorCode, type ActionFailure, type ActionResult } from "./result.ts";

export type { PreviewView } from "../recovery/actions/types.ts";
export type { RunResult };

/** What a confirm or an approval did: ran (with its result), or waits for a second on-call. */
export type RecoveryOutcome = {
  status: "done" | "approval_required" | "in_progress";
  /** approval_required: the request a second on-call approves. */
  approvalId?: string;
  /** done: the run, per target, with its audit entries. */
  run?: RunResult;
};

/** A preview's state in the one shape. */
export function fromPreviewState<P>(s: ActionState<P>): ActionResult<P> {
  if (s.ok && s.result !== undefined) return { ok: true, result: s.result, ...(s.message ? { message: s.message } : {}) };
  return failureOf<P>(s, undefined);
}

/** A confirm's or an approval's state in the one shape. */
export function fromRunState(s: ActionState): ActionResult<RecoveryOutcome> {
  const outcome: RecoveryOutcome = {
    status: s.status ?? "done",
    ...(s.approvalId ? { approvalId: s.approvalId } : {}),
    ...(s.result ? { run: s.result } : {}),
  };
  if (s.ok) return { ok: true, result: outcome, ...(s.message ? { message: s.message } : {}) };
  return failureOf(s, s.result || s.status === "in_progress" ? outcome : undefined);
}

function failureOf<T>(s: ActionState<unknown>, result: T | undefined): ActionFailure<T> {
  return {
    ok: false,
    code: toErrorCode(s.code ?? "internal"),
    message: s.message ?? "The action could not be completed.",
    ...(s.errors ? { fieldErrors: s.errors } : {}),
    ...(s.reauth ? { reauth: s.reauth } : {}),
    ...(s.retryAfterSeconds !== undefined ? { retryAfterSeconds: s.retryAfterSeconds } : {}),
    ...(result !== undefined ? { result } : {}),
  };
}
