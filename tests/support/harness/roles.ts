/**
 * Database roles as a real deployment has them (docs/recovery-actions.md and docs/operations.md):
 * the console reads the trading DB as an ordinary role, never a superuser, and the
 * trading services connect as another ordinary role. Used by the bench and the drills.
 */
import type postgres from "postgres";
import { ident } from "./pg.ts";

export type RoleLogin = { user: string; password: string };

async function upsertLoginRole(admin: postgres.Sql, r: RoleLogin): Promise<void> {
  const [exists] = await admin`select 1 from pg_roles where rolname = ${r.user}`;
  // Identifiers and passwords are ours (generated), never input.
  await admin.unsafe(`${exists ? "alter" : "create"} role ${ident(r.user)} login password '${r.password.replace(/'/g, "''")}'`);
}

/**
 * The console's trading-DB role: SELECT on the three tables, UPDATE on trade_directives (cancel),
 * pg_monitor (other sessions' state and query), pg_signal_backend (terminate non-superuser
 * backends) and, from PostgreSQL 16, pg_use_reserved_connections (a slot when everyone else's are
 * taken). `admin` is a superuser connection to the trading database.
 */
export async function provisionConsoleRole(admin: postgres.Sql, role: RoleLogin, o: { major: number }): Promise<void> {
  await upsertLoginRole(admin, role);
  const r = ident(role.user);
  await admin.unsafe(`grant pg_monitor, pg_signal_backend to ${r}`);
  if (o.major >= 16) await admin.unsafe(`grant pg_use_reserved_connections to ${r}`);
  await admin.unsafe(`grant usage on schema public to ${r}`);
  await admin.unsafe(`grant select on signal_outbox, trade_directives, execution_events to ${r}`);
  await admin.unsafe(`grant update on trade_directives to ${r}`);
}

/** An application role (the trading services): ordinary, no special privileges. */
export async function provisionAppRole(admin: postgres.Sql, role: RoleLogin): Promise<void> {
  await upsertLoginRole(admin, role);
  const r = ident(role.user);
  await admin.unsafe(`grant usage on schema public to ${r}`);
  await admin.unsafe(`grant select, insert, update on signal_outbox, trade_directives, execution_events to ${r}`);
  await admin.unsafe(`grant usage, select on all sequences in schema public to ${r}`);
}
