/**
 * Every way in: each route handler method and each server action, with who may use it and a
 * safe example request. The authorization matrix (e2e/matrix.spec.ts) runs every entry for
 * every persona (anonymous, viewer, auditor, on-call, admin) and checks the status, that nothing
 * changed and the audit outcome; tests/unit/endpoints.test.ts scans app/ and fails when an
 * endpoint is missing here. So a new endpoint is not done until it has an entry.
 *
 * Examples must be safe for every caller, including those allowed: invalid input, a read, or a
 * no-op. When an allowed call cannot avoid an effect, say so in `effectWhenAllowed`.
 *
 * Pure data, no imports beyond types: the Playwright specs read it too.
 */
import type { Permission } from "./permissions.ts";

export type Access =
  /** A session whose role has the permission (route handlers may also take CONSOLE_API_TOKEN). */
  | { kind: "permission"; permission: Permission }
  /** Anyone: signing in, liveness. */
  | { kind: "public"; why: string }
  /** Any signed-in user, whatever the role. */
  | { kind: "session"; why: string }
  /** A machine token, never a session. */
  | { kind: "token"; token: "EA_HEARTBEAT_TOKEN"; why: string };

/** A form-data argument (server actions used with forms): encoded as FormData by the matrix. */
export type FormArg = { $form: Record<string, string> };

export type RouteEndpoint = {
  kind: "route";
  /** "GET /api/health" */
  id: string;
  file: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A concrete path for the example (dynamic segments filled in). */
  path: string;
  access: Access;
  example: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> };
  effectWhenAllowed?: string;
  /** An allowed caller gets a response that does not end (server-sent events): read its status and headers, not its body. */
  stream?: boolean;
};

export type ActionEndpoint = {
  kind: "action";
  /** "app/login/actions.ts#loginAction" */
  id: string;
  file: string;
  exportName: string;
  access: Access;
  example: { args: Array<unknown | FormArg> };
  effectWhenAllowed?: string;
  /** Calling it ends the caller's session (the matrix signs its personas in again afterwards). */
  endsSession?: boolean;
};

export type Endpoint = RouteEndpoint | ActionEndpoint;

const route = (
  file: string,
  method: RouteEndpoint["method"],
  path: string,
  access: Access,
  example: RouteEndpoint["example"] = {},
  extra: Partial<RouteEndpoint> = {},
): RouteEndpoint => ({
  kind: "route",
  id: `${method} ${path}`,
  file,
  method,
  path,
  access,
  example,
  ...extra,
});

const action = (
  file: string,
  exportName: string,
  access: Access,
  args: ActionEndpoint["example"]["args"],
  extra: Partial<ActionEndpoint> = {},
): ActionEndpoint => ({
  kind: "action",
  id: `${file}#${exportName}`,
  file,
  exportName,
  access,
  example: { args },
  ...extra,
});

const perm = (permission: Permission): Access => ({ kind: "permission", permission });
const form = (fields: Record<string, string>): FormArg => ({ $form: fields });

/** An address no test user has: examples that pass validation must not touch a real account. */
const NOBODY = "matrix-nobody@example.invalid";

export const endpoints: Endpoint[] = [
  // ── Route handlers ──────────────────────────────────────────────────────────
  route("app/api/health/route.ts", "GET", "/api/health", perm("health.read")),
  route("app/api/health/history/route.ts", "GET", "/api/health/history", perm("health.read")),
  route("app/api/live/route.ts", "GET", "/api/live", perm("health.read"), {}, { stream: true }),
  route("app/api/metrics/route.ts", "GET", "/api/metrics", perm("health.read")),
  // With STATUS_PUBLIC=1 these two answer anyone (the reduced status only); off by default.
  route("app/api/status/route.ts", "GET", "/api/status", perm("status.read")),
  route("app/api/status/feed/route.ts", "GET", "/api/status/feed", perm("status.read")),
  route("app/api/approvals/route.ts", "GET", "/api/approvals", perm("actions.approve")),
  route("app/api/automation/route.ts", "GET", "/api/automation", perm("health.read")),
  // An unknown format is refused after authorization: an allowed caller gets 400, no export is made.
  route("app/api/audit/export/route.ts", "GET", "/api/audit/export", perm("audit.export"), { query: { format: "matrix-invalid" } }),
  route(
    "app/api/heartbeat/route.ts",
    "POST",
    "/api/heartbeat",
    { kind: "token", token: "EA_HEARTBEAT_TOKEN", why: "the EA's own bearer token; a user session grants nothing here" },
    { body: { instance: "matrix-probe", role: "backup" } },
  ),
  route("app/api/incidents/current/route.ts", "GET", "/api/incidents/current", perm("health.read")),
  // No such incident: an allowed caller gets 404, and no download is recorded.
  route("app/api/incidents/[id]/report/route.ts", "GET", "/api/incidents/999999999/report", perm("incidents.read")),
  route("app/api/incidents/[id]/now/route.ts", "GET", "/api/incidents/999999999/now", perm("incidents.read")),
  route("app/healthz/route.ts", "GET", "/healthz", { kind: "public", why: "liveness for load balancers; carries no data" }),
  route("app/readyz/route.ts", "GET", "/readyz", {
    kind: "public",
    why: "readiness for orchestrators: one word on the console store and its migrations; carries no data",
  }),
  route("app/reference/ping/route.ts", "GET", "/reference/ping", {
    kind: "public",
    why: "a static answer built at build time: the bench's serving baseline; carries no data",
  }),
  route("app/api/auth/[...nextauth]/route.ts", "GET", "/api/auth/session", { kind: "public", why: "next-auth: reads the caller's own session" }),
  // Without next-auth's CSRF token the update is refused; with it, only a server-minted ticket
  // could move authTime (tests in e2e/identity.spec.ts and tests/unit/session-policy.test.ts).
  route(
    "app/api/auth/[...nextauth]/route.ts",
    "POST",
    "/api/auth/session",
    { kind: "public", why: "next-auth: session update, CSRF-protected; cannot change role or auth time" },
    { body: { data: { role: "admin", authTime: 4102444800 } } },
  ),

  // ── Server actions ──────────────────────────────────────────────────────────
  action("app/login/actions.ts", "loginAction", { kind: "public", why: "signing in" }, [{ ok: false }, form({ email: "", password: "", callbackUrl: "/" })]),
  action("app/login/actions.ts", "ssoLoginAction", { kind: "public", why: "starts single sign-on (a redirect to the identity provider)" }, [
    form({ callbackUrl: "/" }),
  ]),
  action("app/login/reauth-actions.ts", "reauthPasswordAction", { kind: "session", why: "sudo mode: confirms the caller's own password" }, [
    { ok: false },
    form({ password: "" }),
  ]),
  action("app/login/reauth-actions.ts", "reauthSsoAction", { kind: "session", why: "sudo mode: back through single sign-on" }, [form({ callbackUrl: "/" })]),
  action("app/actions/session.ts", "signOutAction", { kind: "session", why: "ends the caller's own session" }, [], {
    effectWhenAllowed: "ends the caller's session and records auth.logout",
    endsSession: true,
  }),
  action("app/admin/users/actions.ts", "addUserAction", perm("users.manage"), [{ ok: false }, form({ email: "not-an-email", role: "admin", password: "" })]),
  action("app/admin/users/actions.ts", "setRoleAction", perm("users.manage"), [{ ok: false }, form({ email: NOBODY, role: "superuser" })]),
  action("app/admin/users/actions.ts", "setDisabledAction", perm("users.manage"), [{ ok: false }, form({ email: NOBODY, disabled: "maybe" })]),
  action("app/admin/users/actions.ts", "resetPasswordAction", perm("users.manage"), [{ ok: false }, form({ email: NOBODY, password: "short" })]),
  action("app/actions/recovery.ts", "previewResetCircuitAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "resetCircuitAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "previewCancelStaleDirectivesAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "cancelStaleDirectivesAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "previewKillIdleTransactionsAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "killIdleTransactionsAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "previewCancelLongQueriesAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "cancelLongQueriesAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "previewHaltTradingAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "haltTradingAction", perm("actions.execute"), ["matrix: not an object"]),
  action("app/actions/recovery.ts", "approveRecoveryAction", perm("actions.approve"), ["matrix: not an object"]),
  // No such policy in the matrix's console: an allowed caller gets automation.unknown_policy, nothing changes.
  action("app/actions/automation.ts", "setAutomationPausedAction", perm("automation.pause"), [{ policy: "matrix-no-such-policy", paused: true }]),
  action("app/incidents/actions.ts", "acknowledgeIncidentAction", perm("incidents.manage"), ["matrix: not an object"]),
  action("app/incidents/actions.ts", "addIncidentNoteAction", perm("incidents.manage"), [{ ok: false }, form({ incidentId: "", text: "" })]),
  action("app/incidents/actions.ts", "setIncidentCommanderAction", perm("incidents.manage"), [{ ok: false }, form({})]),
  action("app/incidents/actions.ts", "setChecklistItemAction", perm("incidents.manage"), ["matrix: not an object"]),
  action("app/audit/actions.ts", "verifyAuditChainAction", perm("audit.verify"), [{ ok: false }, form({})], {
    effectWhenAllowed: "verifies the chain, records an audit.verify entry and anchors the head",
  }),
];
