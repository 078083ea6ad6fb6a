import "server-only";
/**
 * The one wrapper every server action that changes anything goes through (issue 12, point 10).
 * A server action is a POST endpoint anyone can call with any arguments, so the wrapper, not the
 * action, owns what every one of them must do, in this order:
 *
 *   1. who: the session and the permission (lib/recovery/access/authz.ts requirePermission; a denial is
 *      audited there), any signed-in session, or anyone (the sign-in form);
 *   2. sudo mode: a recent sign-in where the action asks for one (requireRecentAuth), refused
 *      with `auth.reauth_required` and audited;
 *   3. input: the arguments, whatever they are (FormData, an object, null, a number, junk), turned
 *      into one plain object here and parsed by the action's zod schema; a failure is
 *      `input.invalid` with field errors, audited for a signed-in caller;
 *   4. the handler, with everything it throws caught: authorization and store errors get their
 *      code, the action's own domain errors are mapped by its `errors`, anything else is
 *      `internal` (logged). Next's own control flow (redirect, notFound) passes through.
 *
 * Every path returns lib/actions/result.ts's ActionResult, with its one vocabulary of codes.
 * A new action written with defineMutation cannot forget a step, so malformed calls stay 4xx-like
 * typed refusals, never a 500 (issue 12, points 5, 7, 8).
 */
import { headers } from "next/headers";
import { unstable_rethrow } from "next/navigation";
import { z } from "zod";
import { requestMetaFrom } from "../auth/request-meta.ts";
import { DbError } from "../db/errors.ts";
import { appendAudit, type RequestMeta } from "../recovery/audit/writer.ts";
import { AuthzError, currentActor, ReauthRequiredError, requirePermission, requireRecentAuth, type Actor } from "../recovery/access/authz.ts";
import type { Permission } from "../recovery/access/permissions.ts";
import { toErrorCode, type ActionFailure, type ActionResult, type FieldErrors } from "./result.ts";

export type { ActionFailure, ActionResult } from "./result.ts";

/** Who may call: a permission of the table, any signed-in session, or anyone. */
export type Access = Permission | "session" | "anonymous";

type ActorFor<A extends Access> = A extends "anonymous" ? Actor | null : Actor;

export type MutationContext<A extends Access> = { actor: ActorFor<A>; request: RequestMeta };

export type MutationSpec<S extends z.ZodType, A extends Access> = {
  /** The audit action name of its refusals, e.g. "incident.note". */
  name: string;
  access: A;
  /** The action's own schema (it decides what valid text is: lengths, characters). */
  input: S;
  /**
   * How the action is called: `input` — one argument (an object, or a form's FormData);
   * `form-state` — useActionState's `(previousState, formData)`, the input being the second.
   */
  args?: "input" | "form-state";
  /** Sudo mode: needs a sign-in within SUDO_MAX_AGE_MINUTES. */
  sudo?: boolean;
  /** The path recorded in audit entries' request metadata. */
  path: string;
  /** Audit an anonymous caller's refusal as `denied` too (the recovery actions always have). */
  auditAnonymous?: boolean;
  /** Map the action's own errors to a failure; undefined leaves them to the wrapper. */
  errors?: (err: unknown) => ActionFailure | undefined;
};

export type Mutation<T> = (...args: unknown[]) => Promise<ActionResult<T>>;

/** Largest number of form fields or object keys taken from a call; more is malformed. */
const MAX_FIELDS = 64;

/** What a call with the wrong number of arguments passes to the schema: no schema of an input takes it. */
export const WRONG_ARITY: unique symbol = Symbol("the wrong number of arguments");

/** The argument that carries the input, by the action's calling convention. */
export function pickInput(args: unknown[], convention: "input" | "form-state"): unknown {
  if (convention === "form-state") return args.length === 2 ? args[1] : args.length === 1 && args[0] instanceof FormData ? args[0] : WRONG_ARITY;
  return args.length <= 1 ? args[0] : WRONG_ARITY;
}

/**
 * FormData to a plain object, in one place: text fields only (a file is not text), the last
 * value of a repeated field, Next's own `$ACTION_` fields dropped. Anything else passes as is
 * for the schema to judge.
 */
export function formToObject(raw: unknown): unknown {
  if (!(raw instanceof FormData)) return raw;
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [key, value] of raw.entries()) {
    if (key.startsWith("$ACTION_")) continue;
    if (++n > MAX_FIELDS) return { $tooManyFields: true };
    if (typeof value === "string") out[key] = value;
    else out[key] = { $file: true };
  }
  return out;
}

/** zod issues as field errors: `{ "reason": ["..."], "form": ["..."] }`. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues.slice(0, 20)) (out[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  return out;
}

/** A failure in the one shape; `code` outside the vocabulary is mapped (lib/actions/result.ts). */
export const fail = <T = never>(code: string, message: string, extra: Omit<ActionFailure<T>, "ok" | "code" | "message"> = {}): ActionFailure<T> => ({
  ok: false,
  code: toErrorCode(code),
  message,
  ...extra,
});

async function requestMeta(path: string): Promise<RequestMeta> {
  try {
    return requestMetaFrom(await headers(), path);
  } catch {
    return { path };
  }
}

async function auditRefusal(
  actor: Actor | null,
  action: string,
  outcome: "refused" | "denied",
  detail: Record<string, unknown>,
  request: RequestMeta,
): Promise<void> {
  // Best effort: a refusal changes nothing either way, and its caller still gets the answer.
  await appendAudit({ actor, action, outcome, detail, request }).catch((err) =>
    console.error(`[actions] could not audit a refusal of ${action}:`, err instanceof Error ? err.message : err),
  );
}

/** What the wrapper answers for an error the action did not map. */
function failureOf(err: unknown, name: string, request: RequestMeta): ActionFailure {
  if (err instanceof ReauthRequiredError) return fail("auth.reauth_required", err.message, { reauth: { method: err.method } });
  if (err instanceof AuthzError) return fail(err.code, err.message);
  if (err instanceof DbError) {
    console.error(`[actions] ${name}: the store failed:`, err.message);
    return fail("store.unavailable", `${err.publicMessage} Nothing was done; try again.`);
  }
  console.error(`[actions] ${name} failed (request ${request.requestId ?? "?"}):`, err);
  return fail("internal", `The console could not complete this (request ${request.requestId ?? "unknown"}); see the server log.`);
}

/** Steps 1-2. The actor, or the failure to answer with. */
async function admit<A extends Access>(spec: MutationSpec<z.ZodType, A>, request: RequestMeta): Promise<{ actor: ActorFor<A> } | ActionFailure> {
  let actor: Actor | null;
  try {
    if (spec.access === "anonymous") actor = await currentActor("status.read").catch(() => null);
    else actor = spec.access === "session" ? await currentActor("status.read") : await requirePermission(spec.access, { action: spec.name });
  } catch (err) {
    if (err instanceof AuthzError && err.status === 401 && spec.auditAnonymous) {
      await auditRefusal(null, spec.name, "denied", { permission: spec.access, reason: "no session" }, request);
    }
    return failureOf(err, spec.name, request);
  }
  if (!actor && spec.access !== "anonymous") return fail("auth.required", "Sign in to continue.");
  if (spec.sudo && actor) {
    try {
      requireRecentAuth(actor);
    } catch (err) {
      const f = failureOf(err, spec.name, request);
      await auditRefusal(actor, spec.name, "refused", { guard: f.code, message: f.message }, request);
      return f;
    }
  }
  return { actor: actor as ActorFor<A> };
}

/**
 * Define a server action. `handler` gets the parsed input and the caller, and returns an
 * ActionResult (use `{ ok: true, result }` or `fail(...)`); what it throws is caught.
 */
export function defineMutation<S extends z.ZodType, A extends Access, T>(
  spec: MutationSpec<S, A>,
  handler: (input: z.infer<S>, ctx: MutationContext<A>) => Promise<ActionResult<T>>,
): Mutation<T> {
  return async (...args: unknown[]): Promise<ActionResult<T>> => {
    const request = await requestMeta(spec.path);
    try {
      const admitted = await admit(spec, request);
      if ("ok" in admitted) return admitted;
      const { actor } = admitted;
      const parsed = spec.input.safeParse(formToObject(pickInput(args, spec.args ?? "input")));
      if (!parsed.success) {
        const fieldErrors = fieldErrorsOf(parsed.error);
        if (actor) await auditRefusal(actor, spec.name, "refused", { guard: "input.invalid", fields: Object.keys(fieldErrors) }, request);
        return fail("input.invalid", "Some fields need attention.", { fieldErrors });
      }
      return await handler(parsed.data, { actor, request });
    } catch (err) {
      unstable_rethrow(err); // redirect(), notFound(), forbidden(): Next's own control flow
      return spec.errors?.(err) ?? failureOf(err, spec.name, request);
    }
  };
}

/**
 * A form action that answers with a navigation, not a value (single sign-on's start, sign-out):
 * the same pipeline as defineMutation, as `(formData) => Promise<void>` so a plain <form> can post
 * to it before JavaScript loads. A refusal is not shown; the page stays where it is.
 */
export function defineFormAction<S extends z.ZodType, A extends Access>(
  spec: MutationSpec<S, A>,
  handler: (input: z.infer<S>, ctx: MutationContext<A>) => Promise<ActionResult<null>>,
): (...args: unknown[]) => Promise<void> {
  const mutation = defineMutation(spec, handler);
  return async (...args: unknown[]) => {
    await mutation(...args);
  };
}
