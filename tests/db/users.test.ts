import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { getUserByEmail, getUserSessionState } from "@/lib/db/queries/users";
import { verifyPassword } from "@/lib/auth/password";
import { addUser, setDisabled, setRole, UserError } from "@/lib/recovery/access/users";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const ctx = { actor: { id: "cli:test", email: "cli:test", role: "admin" } };

beforeAll(() => {
  sql = connect("console");
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("user management", () => {
  it("stores an argon2id hash, never the password, and audits the change in the same transaction", async () => {
    const { id } = await addUser({ email: "New.Person@Example.com", role: "oncall", password: "a long enough passphrase" }, ctx);
    const user = await getUserByEmail({ email: "new.person@example.com" });
    expect(user?.id).toBe(id);
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user!.passwordHash!, "a long enough passphrase")).toBe(true);
    const [entry] = await sql<{ action: string; params: { email: string } }[]>`
      select action, params from console.audit_log where action = 'users.add' order by seq desc limit 1`;
    expect(entry).toMatchObject({ action: "users.add", params: { email: "new.person@example.com" } });
    expect(JSON.stringify(entry)).not.toContain("passphrase");
  });

  it("refuses a short password and a duplicate email with clear errors, changing nothing", async () => {
    await expect(addUser({ email: "short@example.com", role: "viewer", password: "short" }, ctx)).rejects.toThrow(/at least 12 characters/);
    await expect(addUser({ email: "new.person@example.com", role: "viewer", password: "another long passphrase" }, ctx)).rejects.toBeInstanceOf(UserError);
    expect(await getUserByEmail({ email: "short@example.com" })).toBeNull();
  });

  it("bumps the session version on role change and disable, so open sessions end", async () => {
    const user = await getUserByEmail({ email: "new.person@example.com" });
    await setRole("new.person@example.com", "viewer", ctx);
    const afterRole = await getUserSessionState({ id: user!.id });
    expect(afterRole).toMatchObject({ role: "viewer", sessionVersion: user!.sessionVersion + 1, disabled: false });
    await setDisabled("new.person@example.com", true, ctx);
    expect(await getUserSessionState({ id: user!.id })).toMatchObject({ disabled: true, sessionVersion: user!.sessionVersion + 2 });
  });
});
