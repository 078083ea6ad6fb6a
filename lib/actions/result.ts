/**
 * The one result every server action returns, and the one vocabulary of its error codes.
 * Shared by the server (lib/actions/mutation.ts, the thin exports under app/) and the client
 * components that read the results, so it imports nothing.
 *
 *   { ok: true, result, message? }
 *   { ok: false, code, message, fieldErrors?, reauth?, retryAfterSeconds?, result? }
 *
 * A failure carries `result` only where something ran and the caller must see what it did (a
 * recovery action whose effect failed or timed out: `outcome.*`).
 */

/** Every code a server action may answer with. One code for one meaning across all actions. */
export const ERROR_CODES = {
  // Who is calling.
  "auth.required": "Not signed in, or the session has ended.",
  "auth.forbidden": "The caller's role lacks the permission.",
  "auth.revoked": "The session was revoked.",
  "auth.reauth_required": "A recent sign-in is needed (sudo mode); `reauth.method` says how.",
  "auth.reauth_failed": "The re-authentication did not prove who the caller is.",
  "auth.reauth_sso_only": "The account signs in through single sign-on only.",
  "auth.failed": "The sign-in was refused (never says whether the email exists).",
  // What they sent.
  "input.invalid": "The input does not match the action's schema; `fieldErrors` says where.",
  // When they sent it.
  "rate.limited": "Too many attempts; `retryAfterSeconds` says when to try again.",
  conflict: "Someone else is doing the same thing right now; try again when it finishes.",
  // What the console could not do.
  "store.unavailable": "The console store (which holds the audit log) could not be reached; nothing was done.",
  internal: "An unexpected server error; logged with the request id.",
  // Recovery actions (lib/recovery/actions/pipeline.ts).
  "guard.kill_switch": "Recovery actions are turned off (RECOVERY_ACTIONS_ENABLED=0).",
  "guard.confirmation": "The typed confirmation does not match the preview's count.",
  "guard.idempotency_mismatch": "The idempotency key was used for a different request.",
  "guard.in_progress": "The same request is already running.",
  "guard.busy": "Another run of the action is in progress.",
  "guard.cooldown": "The action ran moments ago; its cooldown has not passed.",
  "guard.approval_required": "Above the blast radius: a second on-call must approve.",
  "preview.invalid": "The preview token or the preview it names is not valid.",
  "preview.expired": "The preview has expired.",
  "preview.mismatch": "The preview was made for another user, action or parameters.",
  "preview.used": "The preview was already confirmed once; preview again.",
  "preview.failed": "The preview could not be built.",
  "approval.not_found": "No such approval request.",
  "approval.self": "The requester cannot approve their own request.",
  "approval.closed": "The approval request is expired, approved or rejected.",
  "approval.requester_revoked": "The requester is disabled or no longer holds the permission; the approval cannot run.",
  "approval.system": "Automation cannot approve: approving is a person's decision.",
  "automation.unknown_policy": "No automation policy by that name is in force.",
  "outcome.failed": "The effect ran and failed; `result` holds the per-target outcomes.",
  "outcome.partial": "The effect ran on some targets only; `result` says which.",
  "outcome.timeout_unknown": "The effect timed out; whether it happened is unknown.",
  // Incidents, users, the audit chain.
  "incident.not_found": "No such incident.",
  "incident.resolved": "The incident is already resolved.",
  "user.exists": "A user with this email exists.",
  "user.not_found": "No user with this email.",
  "user.self": "Admins cannot change their own role or disable themselves.",
  "audit.broken": "The audit chain does not verify; `result` says where it breaks.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type FieldErrors = Record<string, string[]>;

export type ActionOk<T> = { ok: true; result: T; message?: string };

export type ActionFailure<T = never> = {
  ok: false;
  code: ErrorCode;
  message: string;
  fieldErrors?: FieldErrors;
  /** auth.reauth_required: how to sign in again (components/reauth-dialog.tsx). */
  reauth?: { method: "password" | "sso" };
  /** rate.limited, guard.cooldown: when to try again. */
  retryAfterSeconds?: number;
  /** outcome.*, audit.broken: what ran, for the caller to show. */
  result?: T;
};

export type ActionResult<T = null> = ActionOk<T> | ActionFailure<T>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * Older spellings, mapped at the boundary so that callers see one vocabulary: the recovery
 * wrapper's own input and store codes, the sign-in throttle, and the store errors of the
 * incident and user services.
 */
const ALIASES: Record<string, ErrorCode> = {
  "guard.input": "input.invalid",
  "approval.unknown": "approval.not_found",
  input: "input.invalid",
  "user.invalid": "input.invalid",
  "guard.rate_limit": "rate.limited",
  "auth.throttled": "rate.limited",
  "audit.busy": "conflict",
  "audit.unavailable": "store.unavailable",
  "auth.unavailable": "store.unavailable",
  "incident.unavailable": "store.unavailable",
  unavailable: "store.unavailable",
};

/** The one code for `code`; anything outside the vocabulary is `internal`. */
export function toErrorCode(code: unknown): ErrorCode {
  if (isErrorCode(code)) return code;
  if (typeof code === "string" && Object.hasOwn(ALIASES, code)) return ALIASES[code]!;
  return "internal";
}
