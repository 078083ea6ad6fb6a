/**
 * Start-up with separate owner and app roles (docs/operations.md, "Owner and app roles"): the launcher's
 * ensureConsoleStore applies nothing when the store is up to date, so the console starts as an
 * app role without DDL rights; with pending migrations it refuses that role with a message saying
 * how to migrate, and migrates as CONSOLE_MIGRATE_DATABASE_URL's owner when given.
 * Roles are cluster-wide: they get unique names and are dropped at the end.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { ensureConsoleStore } from "@/lib/db/migrate";
import { connect } from "../support/db";

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const owner = `rc_mowner_${suffix}`;
const appRole = `rc_mapp_${suffix}`;
const dbs = { migrated: `rc_mig_a_${suffix}`, fresh: `rc_mig_b_${suffix}` };
const password = "role-test-password";

function urlFor(user: string, db: string): string {
  const u = new URL(inject("adminUrl"));
  u.username = user;
  u.password = password;
  u.pathname = `/${db}`;
  return u.toString();
}

async function asOwner(db: string, statements: string): Promise<void> {
  const own = postgres(urlFor(owner, db), { max: 1, onnotice: () => {} });
  try {
    await own.unsafe(statements);
  } finally {
    await own.end();
  }
}

const grants = `
  grant usage on schema console to ${appRole};
  grant select, insert, update, delete on all tables in schema console to ${appRole};
  grant usage, select on all sequences in schema console to ${appRole};
  revoke update, delete, truncate on console.audit_log from ${appRole};
  revoke all on console.__migrations from ${appRole};
  grant select on console.__migrations to ${appRole};
  alter default privileges in schema console grant select, insert, update, delete on tables to ${appRole};
  alter default privileges in schema console grant usage, select on sequences to ${appRole};`;

beforeAll(async () => {
  const admin = connect("admin", { max: 1 });
  try {
    await admin.unsafe(`create role ${owner} login password '${password}'`);
    await admin.unsafe(`create role ${appRole} login password '${password}'`);
    for (const db of Object.values(dbs)) {
      await admin.unsafe(`create database ${db} owner ${owner}`);
      await admin.unsafe(`revoke all on database ${db} from public`);
      await admin.unsafe(`grant connect on database ${db} to ${appRole}`);
    }
  } finally {
    await admin.end();
  }
});

afterAll(async () => {
  const admin = connect("admin", { max: 1 });
  try {
    for (const db of Object.values(dbs)) await admin.unsafe(`drop database if exists ${db} with (force)`);
    await admin.unsafe(`drop role if exists ${appRole}`);
    await admin.unsafe(`drop role if exists ${owner}`);
  } finally {
    await admin.end();
  }
});

describe("start-up with an app role", () => {
  it("applies nothing once the owner has migrated, so the app role starts", async () => {
    expect(await ensureConsoleStore(urlFor(owner, dbs.migrated))).toBe("migrated");
    await asOwner(dbs.migrated, grants);
    expect(await ensureConsoleStore(urlFor(appRole, dbs.migrated))).toBe("up-to-date");
    // Set up with the older grants (no SELECT on the record): a message naming the grant, not "pending".
    await asOwner(dbs.migrated, `revoke all on console.__migrations from ${appRole}`);
    await expect(ensureConsoleStore(urlFor(appRole, dbs.migrated))).rejects.toThrow(/GRANT SELECT ON console.__migrations/);
    await asOwner(dbs.migrated, `grant select on console.__migrations to ${appRole}`);
  });

  it("refuses pending migrations as the app role with a message saying how, and migrates as the owner's URL when given", async () => {
    const app = urlFor(appRole, dbs.fresh);
    await expect(ensureConsoleStore(app)).rejects.toThrow(/CONSOLE_MIGRATE_DATABASE_URL/);
    expect(await ensureConsoleStore(app, urlFor(owner, dbs.fresh))).toBe("migrated");
    await asOwner(dbs.fresh, grants);
    expect(await ensureConsoleStore(app)).toBe("up-to-date");
    // The app role reads and writes the store it did not create.
    const sql = postgres(app, { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await sql<[{ n: number }]>`select count(*)::int as n from console.users`;
      expect(n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
