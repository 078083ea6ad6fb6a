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

export type UserSessionState = { role: Role; sessionVersion: number; disabled: boolean; ended: boolean };

/** What the authorization layer re-reads to honour revocation (disable, role change, sign-out). */
export async function getUserSessionState({ id, sid }: { id: string; sid?: string | null }): Promise<UserSessionState | null> {
  const rows = await withConsole(
    (sql) => sql<{ role: Role; session_version: number; disabled: boolean; ended: boolean }[]>`
      select role, session_version, disabled_at is not null as disabled,
             exists (select 1 from console.ended_sessions e where e.sid = ${sid ?? ""} and e.user_id = u.id) as ended
      from console.users u where id = ${id}`,
    { timeoutMs: 2000, idempotent: true },
  );
  const r = rows[0];
  return r ? { role: r.role, sessionVersion: r.session_version, disabled: r.disabled, ended: r.ended } : null;
}

/** Sign-out: this session id is refused from now on (until it could no longer be valid anyway). */
export async function endSession({ sid, userId, validForSeconds }: { sid: string; userId: string; validForSeconds: number }): Promise<void> {
  await withConsole(async (sql) => {
    await sql`
      insert into console.ended_sessions (sid, user_id, expires_at)
      values (${sid}, ${userId}, now() + make_interval(secs => ${validForSeconds}))
      on conflict (sid) do nothing`;
    await sql`delete from console.ended_sessions where expires_at < now()`;
  });
}

export async function markLoggedIn({ id }: { id: string }): Promise<void> {
  await withConsole((sql) => sql`update console.users set last_login_at = now() where id = ${id}`);
}
