import "server-only";
/**
 * The one authorization helper. Every server action, route handler and server-only data
 * function calls it: it loads the session (or a machine token), re-checks the user against
 * the console store (disable and role changes apply within 15 s; at once for the destructive
 * permissions, see FRESH), and checks the permission table. A denial is audited with outcome
 * `denied`.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { headers } from "next/headers";
import type { Session } from "next-auth";
import { auth } from "@/auth";
import { env } from "../../env.ts";
import { getUserSessionState } from "../../db/queries/users.ts";
import { requestMetaFrom } from "../../auth/request-meta.ts";
import { noteActor } from "../../http/request-context.ts";
import { epochSeconds, isRecentAuth, sessionPolicyFromEnv, type AuthMethod } from "../../auth/session-policy.ts";
import type { RequestMeta } from "../audit/writer.ts";
import { auditRefusal } from "../audit/fold.ts";
import { can, type Permission, type Role } from "./permissions.ts";

export type Actor = {
  id: string;
  email: string;
  role: Role;
  /** Epoch seconds of the last interactive sign-in or re-authentication; 0 for machine tokens. */
  authTime: number;
  /** system: the console itself (automation, lib/recovery/actions/pipeline.ts AUTOMATION_ACTOR), never a person. */
  via: "session" | "token" | "system";
  /** How the user last proved who they are (sessions only): what a re-authentication asks for. */
  authMethod?: AuthMethod;
  /** The session's id (sessions only): what signing out ends. */
  sid?: string;
  /** The user's session version the session was issued with (sessions only): revocation. */
  sessionVersion?: number;
};

export class AuthzError extends Error {
  constructor(
    public readonly status: 401 | 403,
    public readonly code: "auth.required" | "auth.forbidden" | "auth.revoked",
    message: string,
  ) {
    super(message);
    this.name = "AuthzError";
  }
}

/** How long a session re-check is trusted; revocation takes effect within this (≤ 60 s). */
const RECHECK_MS = 15_000;
/** If the console store is down, a cached state this old is still honoured. */
const STALE_OK_MS = 60_000;
const READ_ONLY: ReadonlySet<Permission> = new Set(["health.read", "status.read"]);
/**
 * Permissions that change things for real (run or approve a recovery action, manage users): the
 * user is read from the store at the moment of use, never from the 15 s cache nor from memory of
 * a store failure, so a disabled on-call (or one whose role changed) is refused at once. When the
 * store cannot answer they fail closed.
 */
const FRESH: ReadonlySet<Permission> = new Set(["actions.execute", "actions.approve", "users.manage"]);

type CachedState = { at: number; state: Awaited<ReturnType<typeof getUserSessionState>> };
const g = globalThis as unknown as { __rcSessionCache?: Map<string, CachedState> };
const cache = (g.__rcSessionCache ??= new Map());

/** For tests: forget cached session states. */
export function clearSessionCache(): void {
  cache.clear();
  storeDown = null;
}

/** Forget one session's cached state (after signing it out here, so this instance refuses it at once). */
export function forgetSession(id: string, sid?: string | null): void {
  cache.delete(`${id}|${sid ?? ""}`);
}

/** After the store failed to answer, how long further checks do without asking it again. */
const STORE_DOWN_MS = 5_000;
let storeDown: { until: number } | null = null;

/**
 * One read of a session's state at a time: the callers that find its cache entry expired together
 * (a dashboard's parallel requests, the live streams of one session at a push) share it.
 */
const reading = new Map<string, ReturnType<typeof getUserSessionState>>();
function sharedRead(key: string, id: string, sid: string | undefined): ReturnType<typeof getUserSessionState> {
  let read = reading.get(key);
  if (!read) {
    read = getUserSessionState({ id, sid }).finally(() => reading.delete(key));
    reading.set(key, read);
  }
  return read;
}

async function sessionState(id: string, sid: string | undefined, permission: Permission) {
  const key = `${id}|${sid ?? ""}`;
  if (FRESH.has(permission)) {
    // Read now; a failure propagates (fail closed). The answer refreshes the cache for the reads.
    const state = await getUserSessionState({ id, sid });
    cache.set(key, { at: Date.now(), state });
    return state;
  }
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < RECHECK_MS) return hit.state;
  if (storeDown && Date.now() < storeDown.until && READ_ONLY.has(permission)) {
    // The store just failed: reading health answers at once, as the catch below would, rather than
    // wait out the store's timeout on every check of the same page. Anything else asks the store
    // again, so an action works the moment it is back (and fails closed while it is not).
    return hit && Date.now() - hit.at < STALE_OK_MS ? hit.state : undefined;
  }
  try {
    const state = await sharedRead(key, id, sid);
    cache.set(key, { at: Date.now(), state });
    // One entry per session: drop the ones too old to be used before the map grows large.
    if (cache.size > 2000) for (const [k, v] of cache) if (Date.now() - v.at > STALE_OK_MS) cache.delete(k);
    return state;
  } catch (err) {
    storeDown = { until: Date.now() + STORE_DOWN_MS };
    if (hit && Date.now() - hit.at < STALE_OK_MS) return hit.state;
    // The store is down and we cannot confirm the session. Reading health is still allowed
    // from the signed JWT (the panels must work during incidents); anything else fails closed.
    if (READ_ONLY.has(permission)) return undefined;
    throw err;
  }
}

function tokenMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The caller, or null when anonymous or revoked. `request` enables machine bearer tokens. */
export async function currentActor(permission: Permission, request?: Request): Promise<Actor | null> {
  const actor = await findActor(permission, request);
  // The request's log line names its caller (scripts/console-server.ts).
  if (actor) noteActor(actor.email);
  return actor;
}

/**
 * The session of a route handler's request, read once however many data functions check it: a
 * handler and the readers it calls each authorize (lib/recovery/data.ts), and /api/health alone
 * made four next-auth session reads per poll. The permission checks still run each time.
 */
const requestSessions = new WeakMap<Request, Promise<Session | null>>();
function sessionOf(request?: Request): Promise<Session | null> {
  if (!request) return auth();
  let session = requestSessions.get(request);
  if (!session) {
    session = auth();
    requestSessions.set(request, session);
  }
  return session;
}

async function findActor(permission: Permission, request?: Request): Promise<Actor | null> {
  const apiToken = env().CONSOLE_API_TOKEN;
  const authz = request?.headers.get("authorization");
  if (request && apiToken && authz?.startsWith("Bearer ")) {
    // Machine tokens read health only: they act as a viewer.
    return tokenMatches(authz.slice(7), apiToken) ? { id: "api-token", email: "api-token", role: "viewer", authTime: 0, via: "token" } : null;
  }
  const session = await sessionOf(request);
  const u = session?.user;
  if (!session || !u?.id || !u.role) return null;
  const state = await sessionState(u.id, session.sid, permission);
  if (state === null) return null;
  if (state) {
    if (state.disabled || state.ended) return null;
    const token = session.sv;
    if (token !== undefined && token !== state.sessionVersion) return null;
    return {
      id: u.id,
      email: u.email,
      role: state.role,
      authTime: session.authTime,
      via: "session",
      authMethod: session.authMethod ?? "password",
      sid: session.sid,
      sessionVersion: token,
    };
  }
  return { id: u.id, email: u.email, role: u.role, authTime: session.authTime, via: "session", authMethod: session.authMethod ?? "password", sid: session.sid };
}

/**
 * Is an actor found earlier (a live stream's caller, lib/recovery/live/hub.ts) still allowed
 * `permission`? The same re-check as a request's, from the same cache: false once the user is
 * disabled, the session ended or revoked, or the role lost the permission. Machine tokens do not
 * change while the process runs.
 */
export async function stillAuthorized(actor: Actor, permission: Permission): Promise<boolean> {
  if (actor.via !== "session") return can(actor.role, permission);
  const state = await sessionState(actor.id, actor.sid, permission);
  if (state === null) return false;
  if (!state) return can(actor.role, permission);
  if (state.disabled || state.ended) return false;
  if (actor.sessionVersion !== undefined && actor.sessionVersion !== state.sessionVersion) return false;
  return can(state.role, permission);
}

async function metaOf(request?: Request): Promise<RequestMeta> {
  if (request) return requestMetaFrom(request.headers, new URL(request.url).pathname);
  return requestMetaFrom(await headers());
}

/**
 * Load the caller and check `permission`. Throws AuthzError (401 or 403); a 403 is audited
 * as `denied` with the action named by `opts.action` (default: the permission).
 */
export async function requirePermission(permission: Permission, opts: { request?: Request; action?: string } = {}): Promise<Actor> {
  const actor = await currentActor(permission, opts.request);
  if (!actor) throw new AuthzError(401, "auth.required", "Sign in to continue.");
  if (!can(actor.role, permission)) {
    // Repeats of the same denial fold into one summary entry (lib/recovery/audit/fold.ts). The same denial:
    // same permission and the same server action (its id, from Next's `next-action` header), so a
    // refused preview and a refused execution of one action are two entries, not one.
    const serverAction = (opts.request ? opts.request.headers : await headers()).get("next-action");
    await auditRefusal(
      {
        actor,
        action: opts.action ?? permission,
        outcome: "denied",
        detail: { permission, reason: `role ${actor.role} lacks ${permission}` },
        request: await metaOf(opts.request),
      },
      serverAction ? `${permission} ${serverAction}` : permission,
    ).catch((err) => console.error("[authz] could not audit a denial:", err));
    throw new AuthzError(403, "auth.forbidden", `Your role (${actor.role}) may not do this (${permission}).`);
  }
  return actor;
}

type Handler<C> = (request: Request, ctx: C & { actor: Actor }) => Promise<Response>;

/** Wrap a route handler: 401/403 as JSON before the handler runs. */
/**
 * Whether the stakeholder status (/status, /api/status, /api/status/feed) is open to anyone, signed
 * in or not (STATUS_PUBLIC=1; off by default). What it shows is the reduced status either way.
 */
export function statusIsPublic(): boolean {
  return env().STATUS_PUBLIC;
}

/**
 * A refusal as an API answer. A 401 names the scheme that would be accepted (RFC 9110 §11.6.1:
 * a 401 MUST carry WWW-Authenticate), so Prometheus and curl users see that a bearer token is wanted.
 */
export function authzErrorResponse(err: AuthzError): Response {
  const headers: Record<string, string> = err.status === 401 ? { "WWW-Authenticate": 'Bearer realm="recovery-console"' } : {};
  return Response.json({ error: { code: err.code, message: err.message } }, { status: err.status, headers });
}

export function withPermission<C = unknown>(permission: Permission, handler: Handler<C>, opts: { action?: string } = {}) {
  return async (request: Request, ctx: C): Promise<Response> => {
    let actor: Actor;
    try {
      actor = await requirePermission(permission, { request, action: opts.action });
    } catch (err) {
      if (err instanceof AuthzError) return authzErrorResponse(err);
      console.error("[authz]", err);
      return Response.json({ error: { code: "auth.unavailable", message: "Could not check your access right now; try again." } }, { status: 503 });
    }
    return handler(request, { ...ctx, actor });
  };
}

/**
 * For pages: the caller, or a redirect to /login (anonymous) or a 403 page (role lacks it).
 * Imported lazily so route handlers do not pull in navigation helpers.
 */
export async function requirePageActor(permission: Permission, path: string): Promise<Actor> {
  const { redirect, forbidden } = await import("next/navigation");
  try {
    return await requirePermission(permission, { action: `page:${path}` });
  } catch (err) {
    if (err instanceof AuthzError) {
      if (err.status === 401) redirect(`/login?callbackUrl=${encodeURIComponent(path)}`);
      forbidden();
    }
    throw err;
  }
}

/**
 * Sudo mode: destructive actions need a sign-in (or re-authentication) within
 * SUDO_MAX_AGE_MINUTES (15). Thrown by requireRecentAuth; the action returns it as
 * `{ ok: false, code: "auth.reauth_required", reauth: { method } }` (see actionFailure) and the UI
 * opens components/reauth-dialog.tsx, which asks for the password again or goes through SSO again.
 */
export class ReauthRequiredError extends Error {
  readonly code = "auth.reauth_required";
  constructor(
    public readonly method: AuthMethod,
    public readonly authTime: number,
    public readonly maxAgeSeconds: number,
  ) {
    super(`Confirm it's you: sign in again (required within ${Math.round(maxAgeSeconds / 60)} minutes for this action).`);
    this.name = "ReauthRequiredError";
  }
}

/**
 * Throw ReauthRequiredError unless `actor` proved who they are within `maxAgeSeconds`
 * (default SUDO_MAX_AGE_MINUTES) of `now` (ms, injectable for tests). Machine tokens never pass:
 * they cannot re-authenticate, and destructive actions are not theirs to run.
 * Returns the auth time, for the audit entry (`auth_time`).
 */
export function requireRecentAuth(actor: Actor, opts: { now?: number; maxAgeSeconds?: number } = {}): { authTime: number } {
  const maxAge = opts.maxAgeSeconds ?? sessionPolicyFromEnv().sudoSeconds;
  if (actor.via !== "session") throw new AuthzError(403, "auth.forbidden", "Machine tokens cannot run this action.");
  if (!isRecentAuth(actor.authTime, epochSeconds(opts.now ?? Date.now()), maxAge)) {
    throw new ReauthRequiredError(actor.authMethod ?? "password", actor.authTime, maxAge);
  }
  return { authTime: actor.authTime };
}

/** The typed failure a server action returns instead of throwing across the network. */
export type ActionFailure = {
  ok: false;
  code: "auth.required" | "auth.forbidden" | "auth.revoked" | "auth.reauth_required" | "auth.unavailable";
  message: string;
  reauth?: { method: AuthMethod };
};

/**
 * Turn an authorization error into the action's typed result; anything else is rethrown.
 * Use in every server action: `catch (err) { return actionFailure(err); }`.
 */
export function actionFailure(err: unknown): ActionFailure {
  if (err instanceof ReauthRequiredError) return { ok: false, code: err.code, message: err.message, reauth: { method: err.method } };
  if (err instanceof AuthzError) return { ok: false, code: err.code, message: err.message };
  throw err;
}
