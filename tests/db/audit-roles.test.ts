/**
 * Separate owner and app roles (docs/operations.md, "Owner and app roles"): with the setup SQL
 * applied, the app role can append to the audit log and read it, but UPDATE, DELETE and TRUNCATE
 * are refused by privilege (before the trigger is even reached), and it cannot disable the trigger.
 * Roles are cluster-wide: they get unique names and are dropped at the end.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { verifyChain } from "@/lib/recovery/audit/verify";
import { streamAuditRecords } from "@/lib/db/queries/audit-records";
import { migrateConsoleStore } from "@/lib/db/migrate";
import { closeStores } from "@/lib/db/client";
import { connect } from "../support/db";

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const owner = `rc_owner_${suffix}`;
const appRole = `rc_app_${suffix}`;
const dbName = `rc_roles_${suffix}`;
const password = "role-test-password";

function urlFor(user: string): string {
  const u = new URL(inject("adminUrl"));
  u.username = user;
  u.password = password;
  u.pathname = `/${dbName}`;
  return u.toString();
}

let app: postgres.Sql;

beforeAll(async () => {
  const admin = connect("admin", { max: 1 });
  try {
    // As the DBA (docs/operations.md): two roles, and a database the owner owns.
    await admin.unsafe(`create role ${owner} login password '${password}'`);
    await admin.unsafe(`create role ${appRole} login password '${password}'`);
    await admin.unsafe(`create database ${dbName} owner ${owner}`);
    await admin.unsafe(`revoke all on database ${dbName} from public`);
    await admin.unsafe(`grant connect on database ${dbName} to ${appRole}`);
  } finally {
    await admin.end();
  }
  // As the owner: the migrations, then the app role's grants (the SQL of docs/operations.md).
  await migrateConsoleStore(urlFor(owner));
  const own = postgres(urlFor(owner), { max: 1, onnotice: () => {} });
  try {
    await own.unsafe(`
      grant usage on schema console to ${appRole};
      grant select, insert, update, delete on all tables in schema console to ${appRole};
      grant usage, select on all sequences in schema console to ${appRole};
      revoke update, delete, truncate on console.audit_log from ${appRole};
      grant select, insert on console.audit_log to ${appRole};
      revoke all on console.__migrations from ${appRole};
    `);
  } finally {
    await own.end();
  }
  app = postgres(urlFor(appRole), { max: 2, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await app?.end();
  await closeStores();
  const admin = connect("admin", { max: 1 });
  try {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.unsafe(`drop role if exists ${appRole}`);
    await admin.unsafe(`drop role if exists ${owner}`);
  } finally {
    await admin.end();
  }
});

describe("audit log with separate owner and app roles", () => {
  it("lets the app role append (under the chain's advisory lock) and read the chain", async () => {
    const actor = { id: "u-1", email: "oncall@example.com", role: "oncall" };
    for (let i = 0; i < 3; i++)
      await app.begin((tx) => appendAudit({ actor, action: "test.roles", outcome: "succeeded", params: { i } }, { tx: tx as unknown as postgres.Sql }));
    expect(await verifyChain(streamAuditRecords(app))).toMatchObject({ ok: true, entries: 3 });
  });

  it("refuses UPDATE, DELETE and TRUNCATE to the app role by privilege, not only by trigger", async () => {
    await expect(app`update console.audit_log set reason = 'edited' where seq = 1`).rejects.toThrow(/permission denied for table audit_log/);
    await expect(app`delete from console.audit_log where seq = 1`).rejects.toThrow(/permission denied for table audit_log/);
    await expect(app`truncate console.audit_log`).rejects.toThrow(/permission denied for table audit_log/);
    const [row] = await app<{ n: number }[]>`select count(*)::int as n from console.audit_log where reason = 'edited'`;
    expect(row?.n).toBe(0);
  });

  it("does not let the app role disable the append-only trigger or drop the table", async () => {
    await expect(app`alter table console.audit_log disable trigger audit_log_no_update_delete`).rejects.toThrow(/must be owner/);
    await expect(app`drop table console.audit_log`).rejects.toThrow(/must be owner/);
  });

  it("leaves the app role its normal work on the other console tables", async () => {
    await app`insert into console.users (email, role) values ('roles-test@example.com', 'viewer')`;
    await app`update console.users set role = 'auditor' where email = 'roles-test@example.com'`;
    const [u] = await app<{ role: string }[]>`select role from console.users where email = 'roles-test@example.com'`;
    expect(u?.role).toBe("auditor");
  });
});
