/**
 * The authorization helper against a real console store, with the session mocked (as next-auth
 * would decode it from the cookie) and the clock moved: revocation within 60 s, audited denials,
 * and sudo mode's building blocks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";

// First: its mocks apply to the imports below.
import { request, session } from "../support/next-request";
import { closeStores } from "@/lib/db/client";
import {
  actionFailure,
  AuthzError,
  clearSessionCache,
  currentActor,
  forgetSession,
  ReauthRequiredError,
  requirePermission,
  requireRecentAuth,
  type Actor,
} from "@/lib/recovery/access/authz";
import { endSession } from "@/lib/db/queries/users";
import { addUser, setDisabled, setRole } from "@/lib/recovery/access/users";
import { connect, withEnv, type Sql } from "../support/db";

request.headers = new Headers({ "x-request-id": "authz-test", "x-forwarded-for": "198.51.100.7" });

let sql: Sql;
const ctx = { actor: { id: "cli:test", email: "cli:test", role: "admin" } };
let user: { id: string; email: string };

async function sessionVersion(): Promise<number> {
  const [row] = await sql<{ session_version: number }[]>`select session_version from console.users where id = ${user.id}`;
  return row!.session_version;
}

async function headSeq(): Promise<string | null> {
  const [row] = await sql<{ max: string | null }[]>`select max(seq) from console.audit_log`;
  return row!.max;
}

function signedInAs(u: { id: string; email: string }, role: string, sv: number, authTime = Math.floor(Date.now() / 1000), sid?: string) {
  session.current = { user: { id: u.id, email: u.email, role }, sv, authTime, authMethod: "password", sid };
}

beforeAll(async () => {
  sql = connect("console");
  const email = "revoke.me@example.com";
  const { id } = await addUser({ email, role: "oncall", password: "a long enough passphrase" }, ctx);
  user = { id, email };
});
afterEach(() => {
  vi.useRealTimers();
  clearSessionCache();
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("revocation", () => {
  it("ends an open session within 60 s of disabling the user (re-checked every 15 s)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const sv = await sessionVersion();
    signedInAs(user, "oncall", sv);
    expect(await currentActor("health.read")).toMatchObject({ id: user.id, role: "oncall" });

    await setDisabled(user.email, true, ctx);
    // Within the cache window the old answer may stand...
    vi.advanceTimersByTime(10_000);
    // ...but not beyond it: well inside the 60 s the issue allows.
    vi.advanceTimersByTime(6_000);
    expect(await currentActor("health.read")).toBeNull();
    await setDisabled(user.email, false, ctx);
  });

  it("ends sessions issued before a role change (session version)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const sv = await sessionVersion();
    signedInAs(user, "oncall", sv);
    expect(await currentActor("health.read")).not.toBeNull();
    await setRole(user.email, "viewer", ctx);
    vi.advanceTimersByTime(16_000);
    expect(await currentActor("health.read")).toBeNull();
    // A new sign-in carries the new version and the new role.
    signedInAs(user, "viewer", sv + 1);
    expect(await currentActor("health.read")).toMatchObject({ role: "viewer" });
  });

  it("refuses a signed-out session at once, even if its cookie comes back, and only that session", async () => {
    const sv = await sessionVersion();
    signedInAs(user, "viewer", sv, undefined, "session-a");
    const actor = await currentActor("health.read");
    expect(actor).toMatchObject({ sid: "session-a" });
    await endSession({ sid: "session-a", userId: user.id, validForSeconds: 3600 });
    forgetSession(user.id, "session-a");
    expect(await currentActor("health.read")).toBeNull();
    signedInAs(user, "viewer", sv, undefined, "session-b");
    expect(await currentActor("health.read")).toMatchObject({ sid: "session-b" });
  });

  it("takes the role from the store, not from the token", async () => {
    const sv = await sessionVersion();
    signedInAs(user, "admin", sv); // a token claiming admin for a viewer
    expect(await currentActor("health.read")).toMatchObject({ role: "viewer" });
  });
});

describe("denials", () => {
  it("refuses a role without the permission with 403 and an audit entry saying denied", async () => {
    const sv = await sessionVersion();
    signedInAs(user, "viewer", sv);
    const err = await requirePermission("users.manage", { action: "users.set_role" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthzError);
    expect(err).toMatchObject({ status: 403, code: "auth.forbidden" });
    const [entry] = await sql<{ action: string; outcome: string; actor_email: string; request: { requestId: string; ip: string } }[]>`
      select action, outcome, actor_email, request from console.audit_log order by seq desc limit 1`;
    expect(entry).toMatchObject({
      action: "users.set_role",
      outcome: "denied",
      actor_email: user.email,
      request: { requestId: "authz-test", ip: "198.51.100.7" },
    });
  });

  it("refuses the anonymous with 401 and no audit noise", async () => {
    session.current = null;
    const before = await headSeq();
    await expect(requirePermission("health.read")).rejects.toMatchObject({ status: 401, code: "auth.required" });
    expect(await headSeq()).toBe(before);
  });
});

describe("sudo mode (requireRecentAuth)", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  const at = (minutesAgo: number) => Math.floor(now / 1000) - minutesAgo * 60;
  const actor = (authTime: number, extra: Partial<Actor> = {}): Actor => ({
    id: "u",
    email: "u@example.com",
    role: "oncall",
    authTime,
    via: "session",
    authMethod: "password",
    ...extra,
  });

  it("passes a sign-in within SUDO_MAX_AGE_MINUTES and returns its time for the audit", () => {
    expect(requireRecentAuth(actor(at(14)), { now })).toEqual({ authTime: at(14) });
  });

  it("asks an older sign-in to re-authenticate the way it signed in", () => {
    const err = (() => {
      try {
        requireRecentAuth(actor(at(16), { authMethod: "sso" }), { now });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ReauthRequiredError);
    expect(err).toMatchObject({ code: "auth.reauth_required", method: "sso", authTime: at(16) });
    expect(actionFailure(err)).toEqual({ ok: false, code: "auth.reauth_required", message: expect.stringMatching(/sign in again/), reauth: { method: "sso" } });
  });

  it("honours a configured window and never passes a machine token", () => {
    expect(() => requireRecentAuth(actor(at(3)), { now, maxAgeSeconds: 120 })).toThrow(ReauthRequiredError);
    expect(() => requireRecentAuth(actor(at(0), { via: "token", authMethod: undefined }), { now })).toThrow(AuthzError);
  });

  it("turns authorization errors into typed action results and rethrows anything else", () => {
    expect(actionFailure(new AuthzError(403, "auth.forbidden", "no"))).toEqual({ ok: false, code: "auth.forbidden", message: "no" });
    expect(() => actionFailure(new Error("boom"))).toThrow("boom");
  });
});

describe("destructive permissions", () => {
  it("are checked against the store at the moment of use: a disabled on-call is refused at once, while health reads stay cached", async () => {
    await setRole(user.email, "oncall", ctx);
    signedInAs(user, "oncall", await sessionVersion());
    clearSessionCache();
    expect(await requirePermission("actions.execute")).toMatchObject({ id: user.id });
    expect(await currentActor("health.read")).not.toBeNull();
    // Disabled by an admin on another instance: nothing tells this one.
    await sql`update console.users set disabled_at = now() where id = ${user.id}`;
    try {
      // Reads may answer from the 15 s cache...
      expect(await currentActor("health.read")).not.toBeNull();
      // ...running or approving an action may not.
      await expect(requirePermission("actions.execute")).rejects.toMatchObject({ status: 401 });
      await expect(requirePermission("actions.approve")).rejects.toMatchObject({ status: 401 });
    } finally {
      await sql`update console.users set disabled_at = null where id = ${user.id}`;
    }
  });

  it("read the role from the store at each use: an admin demoted elsewhere cannot manage users the next moment", async () => {
    const { id } = await addUser({ email: "demoted.admin@example.com", role: "admin", password: "a long enough passphrase" }, ctx);
    const [row] = await sql<{ v: number }[]>`select session_version as v from console.users where id = ${id}`;
    signedInAs({ id, email: "demoted.admin@example.com" }, "admin", row!.v);
    clearSessionCache();
    expect(await requirePermission("users.manage")).toMatchObject({ role: "admin" });
    // The role changes in the store (here without a session-version bump, so only the role read tells).
    await sql`update console.users set role = 'viewer' where id = ${id}`;
    await expect(requirePermission("users.manage")).rejects.toMatchObject({ status: 403 });
  });
});

describe("when the console store is down", () => {
  it("keeps health readable from the signed token, fails anything else closed, and lets actions through the moment the store is back", async () => {
    await setRole(user.email, "oncall", ctx);
    signedInAs(user, "oncall", await sessionVersion());
    clearSessionCache();
    await closeStores();
    await withEnv({ CONSOLE_DATABASE_URL: "postgres://postgres@127.0.0.1:1/console", DB_CONNECT_TIMEOUT_S: "1" });
    try {
      expect(await currentActor("health.read")).toMatchObject({ id: user.id, role: "oncall" });
      await expect(requirePermission("actions.execute")).rejects.toThrow();
      // Within the next seconds the answers are the same, from memory of the failure.
      expect(await currentActor("status.read")).toMatchObject({ id: user.id });
      await expect(requirePermission("users.manage")).rejects.toThrow();
    } finally {
      await closeStores();
      await withEnv({ CONSOLE_DATABASE_URL: inject("consoleUrl"), DB_CONNECT_TIMEOUT_S: undefined });
    }
    // The store is back (the failure is still remembered for health reads): an action's check reads it again at once.
    expect(await requirePermission("actions.execute")).toMatchObject({ id: user.id, role: "oncall" });
    clearSessionCache();
  });
});
