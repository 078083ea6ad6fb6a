import "server-only";
/**
 * User management: one place for the CLI and the admin page. Each change commits together
 * with its audit entry (same transaction in the console store).
 */
import { z } from "zod";
import { text } from "../../validation/text.ts";
import { withConsole, type Sql } from "../../db/client.ts";
import { normalizeEmail } from "../../db/queries/users.ts";
import { roles, type Role } from "../../db/schema/console.ts";
import { checkPasswordPolicy, hashPassword } from "../../auth/password.ts";
import { authTimeDetail } from "../../auth/session-policy.ts";
import { appendAudit, type AuditActor, type RequestMeta } from "../audit/writer.ts";

export const emailSchema = text()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address." }));
export const roleSchema = z.enum(roles, { message: `Role must be one of: ${roles.join(", ")}.` });

export class UserError extends Error {
  constructor(
    public readonly code: "user.exists" | "user.not_found" | "user.invalid",
    message: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Who changes it; `authTime` (sudo mode) goes into the audit entry as `auth_time`. */
type Ctx = { actor: AuditActor & { authTime?: number }; request?: RequestMeta | null };

export type UserSummary = {
  id: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** Signs in with a console password. */
  hasPassword: boolean;
  /** Linked to a single sign-on identity. */
  sso: boolean;
  lastLoginAt: string | null;
  createdAt: string;
};

async function inTx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
  return withConsole((sql) => sql.begin((tx) => fn(tx as unknown as Sql)) as Promise<T>, { timeoutMs: 10_000 });
}

export async function addUser(input: { email: string; role: Role; password?: string | null; name?: string | null }, ctx: Ctx): Promise<{ id: string }> {
  const email = emailSchema.parse(input.email);
  const role = roleSchema.parse(input.role);
  if (input.password != null) {
    const problem = checkPasswordPolicy(input.password);
    if (problem) throw new UserError("user.invalid", problem);
  }
  const passwordHash = input.password != null ? await hashPassword(input.password) : null;
  return inTx(async (tx) => {
    const [existing] = await tx`select id from console.users where email = ${email}`;
    if (existing) throw new UserError("user.exists", `A user with email ${email} already exists.`);
    const [row] = await tx<{ id: string }[]>`
      insert into console.users (email, name, role, password_hash) values (${email}, ${input.name ?? null}, ${role}, ${passwordHash})
      returning id`;
    await appendAudit(
      {
        ...ctx,
        action: "users.add",
        outcome: "succeeded",
        params: { email, role, withPassword: passwordHash !== null },
        detail: authTimeDetail(ctx.actor.authTime),
      },
      { tx },
    );
    return { id: row!.id };
  });
}

async function change(email: string, action: string, params: Record<string, unknown>, ctx: Ctx, apply: (tx: Sql, id: string) => Promise<void>) {
  const e = normalizeEmail(email);
  await inTx(async (tx) => {
    const [u] = await tx<{ id: string }[]>`select id from console.users where email = ${e} for update`;
    if (!u) throw new UserError("user.not_found", `No user with email ${e}.`);
    await apply(tx, u.id);
    await appendAudit({ ...ctx, action, outcome: "succeeded", params: { email: e, ...params }, detail: authTimeDetail(ctx.actor.authTime) }, { tx });
  });
}

/** Changing the role bumps the session version: open sessions must sign in again. */
export function setRole(email: string, role: Role, ctx: Ctx): Promise<void> {
  const r = roleSchema.parse(role);
  return change(email, "users.set_role", { role: r }, ctx, async (tx, id) => {
    await tx`update console.users set role = ${r}, session_version = session_version + 1, updated_at = now() where id = ${id}`;
  });
}

export function setDisabled(email: string, disabled: boolean, ctx: Ctx): Promise<void> {
  return change(email, disabled ? "users.disable" : "users.enable", {}, ctx, async (tx, id) => {
    await tx`
      update console.users
      set disabled_at = ${disabled ? new Date() : null}, session_version = session_version + 1, updated_at = now()
      where id = ${id}`;
  });
}

export async function resetPassword(email: string, password: string, ctx: Ctx): Promise<void> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new UserError("user.invalid", problem);
  const hash = await hashPassword(password);
  return change(email, "users.reset_password", {}, ctx, async (tx, id) => {
    await tx`update console.users set password_hash = ${hash}, session_version = session_version + 1, updated_at = now() where id = ${id}`;
  });
}

export async function listUsers(): Promise<UserSummary[]> {
  const rows = await withConsole(
    (sql) => sql<
      { id: string; email: string; role: Role; disabled_at: Date | null; has_password: boolean; sso: boolean; last_login_at: Date | null; created_at: Date }[]
    >`
      select id, email, role, disabled_at, password_hash is not null as has_password, sso_subject is not null as sso, last_login_at, created_at
      from console.users order by email`,
  );
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    disabled: r.disabled_at !== null,
    hasPassword: r.has_password,
    sso: r.sso,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  }));
}
