/**
 * Direct access to the console store of the e2e run, as a DBA's psql would have: to check that
 * a refused request changed nothing and left the audit entry it should. It bypasses the console.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { e2eEnv } from "../../playwright.config";

export type Sql = postgres.Sql;

export function consoleDb(): Sql {
  const password = fs.readFileSync(path.join(e2eEnv.dataDir, "pg.password"), "utf8").trim();
  return postgres(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${e2eEnv.pgPort}/console`, { max: 2, onnotice: () => {} });
}

export type AuditRow = {
  seq: number;
  action: string;
  outcome: string;
  actor_email: string | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
};

/** Audit entries written for one request (the console records the X-Request-Id it was sent). */
export async function auditForRequest(sql: Sql, requestId: string): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select seq::int as seq, action, outcome, actor_email, reason, detail from console.audit_log
    where request->>'requestId' = ${requestId} order by seq`;
}

/** Audit entries after `afterSeq`, optionally for one actor and action prefix. */
export async function auditSince(sql: Sql, afterSeq: number, filter: { email?: string; action?: string } = {}): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select seq::int as seq, action, outcome, actor_email, reason, detail from console.audit_log
    where seq > ${afterSeq}
      and (${filter.email ?? null}::text is null or actor_email = ${filter.email ?? null})
      and (${filter.action ?? null}::text is null or action like ${(filter.action ?? "") + "%"})
    order by seq`;
}

export async function auditHead(sql: Sql): Promise<number> {
  const [row] = await sql<{ seq: number | null }[]>`select max(seq)::int as seq from console.audit_log`;
  return row?.seq ?? 0;
}

/**
 * A fingerprint of what a request could change in the console store: the users (with roles,
 * versions, passwords, disabled flags) and the recovery actions' bookkeeping. Tables that do not
 * exist (yet) count as empty.
 */
export async function stateDigest(sql: Sql): Promise<string> {
  const [users] = await sql<{ d: string | null }[]>`
    select md5(string_agg(concat_ws('|', id, email, role, session_version, password_hash, disabled_at, sso_subject), ',' order by id)) as d from console.users`;
  const counts: string[] = [];
  for (const table of ["action_runs", "action_previews", "action_approvals"]) {
    const [exists] = await sql<{ t: string | null }[]>`select to_regclass(${`console.${table}`})::text as t`;
    if (!exists?.t) continue;
    const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from console.${table}`);
    counts.push(`${table}=${row?.n}`);
  }
  return `${users?.d}|${counts.join(",")}`;
}

export type UserRow = { id: string; email: string; role: string; session_version: number; disabled_at: Date | null };

export async function userByEmail(sql: Sql, email: string): Promise<UserRow | undefined> {
  const [u] = await sql<UserRow[]>`select id, email, role, session_version, disabled_at from console.users where email = ${email}`;
  return u;
}
