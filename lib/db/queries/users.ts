import "server-only";
import { withConsole } from "../client.ts";
import type { Role, users } from "../schema/console.ts";

export type UserRow = typeof users.$inferSelect;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function getUserByEmail({ email }: { email: string }): Promise<UserRow | null> {
  const rows = await withConsole(
    (sql) => sql<UserRow[]>`
      select id, email, name, role, password_hash as "passwordHash", session_version as "sessionVersion",
             disabled_at as "disabledAt", last_login_at as "lastLoginAt", created_at as "createdAt", updated_at as "updatedAt"
      from console.users where email = ${normalizeEmail(email)} limit 1`,
  );
  return rows[0] ?? null;
}

/** What the authorization layer re-reads to honour revocation (disable, role change). */
export async function getUserSessionState({ id }: { id: string }): Promise<{ role: Role; sessionVersion: number; disabled: boolean } | null> {
  const rows = await withConsole(
    (sql) => sql<{ role: Role; session_version: number; disabled: boolean }[]>`
      select role, session_version, disabled_at is not null as disabled from console.users where id = ${id}`,
    { timeoutMs: 2000 },
  );
  const r = rows[0];
  return r ? { role: r.role, sessionVersion: r.session_version, disabled: r.disabled } : null;
}

export async function markLoggedIn({ id }: { id: string }): Promise<void> {
  await withConsole((sql) => sql`update console.users set last_login_at = now() where id = ${id}`);
}
