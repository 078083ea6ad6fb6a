/**
 * Completing an SSO sign-in against the real console store: role mapping, the upsert into
 * console.users (no password), linking, role sync and the audited denials.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { getUserByEmail, getUserSessionState } from "@/lib/db/queries/users";
import { completeSsoSignIn } from "@/lib/auth/sso";
import { parseRoleMap, type OidcConfig } from "@/lib/auth/oidc";
import { addUser, setDisabled } from "@/lib/recovery/access/users";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const config: OidcConfig = {
  issuer: "https://idp.example.com",
  clientId: "rc",
  clientSecret: "s",
  roleClaim: "groups",
  roleMap: parseRoleMap("ops-oncall=oncall,execs=viewer,console-admins=admin"),
  displayName: "SSO",
};
const claims = (sub: string, email: string, groups: string[], extra: Record<string, unknown> = {}) => ({
  sub,
  email,
  email_verified: true,
  name: `User ${sub}`,
  groups,
  ...extra,
});

async function lastAudit() {
  const [e] = await sql<
    {
      action: string;
      outcome: string;
      reason: string | null;
      actor_email: string | null;
      detail: Record<string, unknown> | null;
      params: Record<string, unknown> | null;
    }[]
  >`
    select action, outcome, reason, actor_email, detail, params from console.audit_log order by seq desc limit 1`;
  return e!;
}

beforeAll(() => {
  sql = connect("console");
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("SSO sign-in", () => {
  it("creates a user with the mapped role and no password, and audits both", async () => {
    const r = await completeSsoSignIn({ claims: claims("s-1", "Exec.One@Example.com", ["execs", "everyone"]), config });
    expect(r).toMatchObject({ ok: true, user: { email: "exec.one@example.com", role: "viewer" } });
    const u = await getUserByEmail({ email: "exec.one@example.com" });
    expect(u).toMatchObject({ role: "viewer", passwordHash: null });
    const [row] = await sql<{ sso_subject: string }[]>`select sso_subject from console.users where email = 'exec.one@example.com'`;
    expect(row!.sso_subject).toBe("https://idp.example.com#s-1");
    expect(await lastAudit()).toMatchObject({
      action: "auth.login",
      outcome: "succeeded",
      actor_email: "exec.one@example.com",
      detail: { method: "sso", role: "viewer" },
    });
    const [add] = await sql<
      { outcome: string; params: { via: string } }[]
    >`select outcome, params from console.audit_log where action = 'users.add' order by seq desc limit 1`;
    expect(add).toMatchObject({ outcome: "succeeded", params: { via: "sso" } });
  });

  it("gives no access to a user with no mapped group, and audits the denial", async () => {
    const r = await completeSsoSignIn({ claims: claims("s-2", "nobody@example.com", ["engineering"]), config });
    expect(r).toEqual({ ok: false, reason: "no_role" });
    expect(await getUserByEmail({ email: "nobody@example.com" })).toBeNull();
    expect(await lastAudit()).toMatchObject({
      action: "auth.login",
      outcome: "denied",
      reason: "no_role",
      actor_email: "nobody@example.com",
      detail: { values: ["engineering"] },
    });
  });

  it("applies the provider's role at each sign-in, ending sessions with the old role", async () => {
    const before = await getUserByEmail({ email: "exec.one@example.com" });
    const r = await completeSsoSignIn({ claims: claims("s-1", "exec.one@example.com", ["ops-oncall"]), config });
    expect(r).toMatchObject({ ok: true, user: { role: "oncall", sessionVersion: before!.sessionVersion + 1 } });
    expect(await getUserSessionState({ id: before!.id })).toMatchObject({ role: "oncall", sessionVersion: before!.sessionVersion + 1 });
  });

  it("refuses a disabled user like a local one", async () => {
    await setDisabled("exec.one@example.com", true, { actor: { id: "cli:test" } });
    expect(await completeSsoSignIn({ claims: claims("s-1", "exec.one@example.com", ["ops-oncall"]), config })).toEqual({ ok: false, reason: "disabled" });
    expect(await lastAudit()).toMatchObject({ action: "auth.login", outcome: "failed", reason: "disabled" });
  });

  it("links an existing local account by email on first SSO sign-in, keeping its password", async () => {
    await addUser({ email: "both@example.com", role: "viewer", password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
    const r = await completeSsoSignIn({ claims: claims("s-3", "both@example.com", ["console-admins"]), config });
    expect(r).toMatchObject({ ok: true, user: { role: "admin" } });
    const u = await getUserByEmail({ email: "both@example.com" });
    expect(u?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("does not hand an account to another SSO subject, or to an unverified email", async () => {
    expect(await completeSsoSignIn({ claims: claims("s-4", "both@example.com", ["execs"]), config })).toEqual({ ok: false, reason: "conflict" });
    await addUser({ email: "local.only@example.com", role: "admin", password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
    expect(await completeSsoSignIn({ claims: claims("s-5", "local.only@example.com", ["execs"], { email_verified: false }), config })).toEqual({
      ok: false,
      reason: "conflict",
    });
    expect((await getUserByEmail({ email: "local.only@example.com" }))?.role).toBe("admin");
  });

  it("links a local account only when email_verified is true: missing or a string does not count", async () => {
    await addUser({ email: "unverified@example.com", role: "admin", password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
    const { email_verified: _omitted, ...missing } = claims("s-7", "unverified@example.com", ["execs"]);
    expect(await completeSsoSignIn({ claims: missing, config })).toEqual({ ok: false, reason: "conflict" });
    expect(await lastAudit()).toMatchObject({ action: "auth.login", outcome: "denied", reason: "conflict" });
    expect(await completeSsoSignIn({ claims: claims("s-7", "unverified@example.com", ["execs"], { email_verified: "true" }), config })).toEqual({
      ok: false,
      reason: "conflict",
    });
    const [row] = await sql<{ sso_subject: string | null; role: string }[]>`select sso_subject, role from console.users where email = 'unverified@example.com'`;
    expect(row).toEqual({ sso_subject: null, role: "admin" });
    // Verified: linked.
    expect(await completeSsoSignIn({ claims: claims("s-7", "unverified@example.com", ["execs"]), config })).toMatchObject({
      ok: true,
      user: { role: "viewer" },
    });
  });

  it("needs a subject and an email", async () => {
    expect(await completeSsoSignIn({ claims: { sub: "s-6", groups: ["execs"] }, config })).toEqual({ ok: false, reason: "no_email" });
  });
});
