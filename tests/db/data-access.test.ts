/**
 * The data access layer (lib/recovery/data.ts) checks the caller's permission inside every
 * function, against a real console store, with the session mocked as next-auth would decode it:
 * an anonymous caller gets 401 and a role without the permission gets 403 (audited), from every
 * function, before anything is read. The table below must name every export, so a new data
 * function cannot be added without its permission being tested here (typecheck fails).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";

// First: its mocks apply to the imports below.
import { request, session } from "../support/next-request";
import { closeStores } from "@/lib/db/client";
import * as data from "@/lib/recovery/data";
import { AuthzError, clearSessionCache } from "@/lib/recovery/access/authz";
import { flushRefusals } from "@/lib/recovery/audit/fold";
import { can, roles, type Permission, type Role } from "@/lib/recovery/access/permissions";
import { healthMonitor, resetHealthMonitor } from "@/lib/recovery/health/snapshot";
import { addUser } from "@/lib/recovery/access/users";
import { connect, withEnv, type Sql } from "../support/db";

request.headers = new Headers({ "x-request-id": "data-access-test" });

type DataFunction = keyof typeof data;

const PERMISSION: Record<DataFunction, Permission> = {
  readHealth: "health.read",
  readHealthBody: "health.read",
  openLiveStream: "health.read",
  readHealthHistory: "health.read",
  readMetricsInput: "health.read",
  readStatus: "status.read",
  readStatusFeed: "status.read",
  readContacts: "health.read",
  readOpenIncidents: "health.read",
  readOpenIncidentsOrNull: "health.read",
  readIncidents: "incidents.read",
  readIncident: "incidents.read",
  readIncidentNow: "incidents.read",
  readPendingApprovals: "actions.approve",
  readAuditEntries: "audit.read",
  readAuditEntry: "audit.read",
  readAuditHead: "audit.read",
  readLatestVerification: "audit.read",
  readAuditFacets: "audit.read",
  readAuditAnchor: "audit.read",
  readAuditExport: "audit.export",
  readUsers: "users.manage",
  readRunbook: "health.read",
  readRunbookVersions: "health.read",
  readRunbookProblem: "health.read",
  readAutomation: "health.read",
};

/** Arguments before the caller, for the functions that take some. */
const ARGS: Partial<Record<DataFunction, unknown[]>> = {
  readIncident: [1],
  readStatusFeed: ["http://localhost"],
  readIncidentNow: [1],
  readAuditEntries: [{ filters: {}, page: { limit: 10 } }],
  readAuditEntry: [1],
  readAuditExport: [{ filters: {}, format: "csv", request: {} }],
};

function call(name: DataFunction): Promise<unknown> {
  const fn = data[name] as (...args: unknown[]) => Promise<unknown>;
  return fn(...(ARGS[name] ?? []), {});
}

let sql: Sql;
const users = {} as Record<Role, { id: string; email: string; sv: number }>;

function signedInAs(role: Role) {
  const u = users[role];
  session.current = { user: { id: u.id, email: u.email, role }, sv: u.sv, authTime: Math.floor(Date.now() / 1000), authMethod: "password", sid: randomUUID() };
}

async function denialsFor(email: string, since: string): Promise<{ action: string; detail: { permission: string } }[]> {
  return sql<{ action: string; detail: { permission: string } }[]>`
    select action, detail from console.audit_log where actor_email = ${email} and outcome = 'denied' and seq > ${since} order by seq`;
}

beforeAll(async () => {
  sql = connect("console");
  for (const role of roles) {
    const email = `dal.${role}.${randomUUID().slice(0, 8)}@example.com`;
    const { id } = await addUser({ email, role, password: "a long enough passphrase" }, { actor: { id: "cli:test", email: "cli:test", role: "admin" } });
    const [row] = await sql<{ session_version: number }[]>`select session_version from console.users where id = ${id}`;
    users[role] = { id, email, sv: row!.session_version };
  }
});
afterEach(() => {
  session.current = null;
  clearSessionCache();
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("the data access layer", () => {
  it("lists every data function with its permission (the table above is complete)", () => {
    expect(Object.keys(data).sort()).toEqual(Object.keys(PERMISSION).sort());
  });

  it.each(Object.keys(PERMISSION) as DataFunction[])("%s refuses an anonymous caller with 401", async (name) => {
    session.current = null;
    const err = await call(name).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthzError);
    expect((err as AuthzError).status).toBe(401);
  });

  it.each(Object.keys(PERMISSION) as DataFunction[])("%s refuses every role without its permission with 403, and audits the denial", async (name) => {
    const permission = PERMISSION[name];
    const lacking = roles.filter((r) => !can(r, permission));
    for (const role of lacking) {
      // A fresh window: a repeated denial (same actor and permission) would be folded (lib/recovery/audit/fold.ts).
      await flushRefusals();
      const [{ head }] = await sql<[{ head: string }]>`select coalesce(max(seq), 0)::text as head from console.audit_log`;
      signedInAs(role);
      const err = await call(name).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `${name} as ${role}`).toBeInstanceOf(AuthzError);
      expect((err as AuthzError).status, `${name} as ${role}`).toBe(403);
      expect(await denialsFor(users[role].email, head)).toEqual([expect.objectContaining({ detail: expect.objectContaining({ permission }) })]);
      clearSessionCache();
    }
  });

  it("lets a role with the permission through to the data", async () => {
    signedInAs("viewer");
    expect(await data.readContacts()).toEqual(expect.any(Object));
    signedInAs("auditor");
    expect(await data.readAuditHead()).toMatchObject({ seq: expect.any(Number) });
    signedInAs("admin");
    expect((await data.readUsers()).map((u) => u.email)).toContain(users.admin.email);
  });
});

/**
 * Issue 12, point 9: one shared snapshot, cut per caller. Viewers, auditors and the API token see
 * the idle session's status and value but not its SQL text, database user or client address; on-call
 * and admins (health.details) see them. The API token is covered in tests/db/health-api.test.ts.
 */
describe("least data: health details per caller", () => {
  const MARKER = `rc_secret_marker_${randomUUID().slice(0, 8)}`;
  let holder: postgres.Sql;
  let trading: Sql;

  beforeAll(async () => {
    await withEnv({ IDLE_TX_SECONDS: "1" });
    trading = connect("trading", { max: 1 });
    holder = postgres(inject("tradingUrl"), { max: 1, onnotice: () => {}, connection: { application_name: "distortsignals-api" } });
    const r = await holder.reserve();
    await r`begin`;
    await r.unsafe(`select '${MARKER}' as marker`);
    // Until PostgreSQL itself says it has been idle in transaction for more than IDLE_TX_SECONDS.
    await vi.waitFor(
      async () => {
        const [{ n }] = await trading<[{ n: number }]>`
          select count(*)::int as n from pg_stat_activity
          where query like ${`%${MARKER}%`} and state = 'idle in transaction' and state_change < now() - interval '1 second' and application_name = 'distortsignals-api'`;
        expect(n).toBe(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    resetHealthMonitor();
  });
  afterAll(async () => {
    await holder.end({ timeout: 1 });
    await trading.end();
    resetHealthMonitor();
    await withEnv({ IDLE_TX_SECONDS: undefined });
  });

  const idleOf = (snapshot: Awaited<ReturnType<typeof data.readHealth>>) => snapshot.checks.find((c) => c.id === "idle_transactions")!;

  it.each(roles)("%s: sees SQL text, users and client addresses only with health.details (the page, /api/health and the live stream)", async (role) => {
    signedInAs(role);
    const [page, body, live] = await Promise.all([data.readHealth(), data.readHealthBody(), firstLiveEvents(data.openLiveStream())]);
    expect(live.incidents).toMatchObject({ incidents: expect.any(Array) });
    for (const snapshot of [page, body, live.health as typeof page]) assertCut(role, snapshot);
    if (!can(role, "health.details")) {
      const metrics = await data.readMetricsInput();
      expect(JSON.stringify(metrics)).not.toContain(MARKER);
    }
  });

  function assertCut(role: Role, snapshot: Awaited<ReturnType<typeof data.readHealth>>) {
    const check = idleOf(snapshot);
    const mine = (check.detail.sessions as Record<string, unknown>[]).find((s) => s.application === "distortsignals-api");
    expect(check.value).toEqual(expect.any(Number));
    expect(mine).toMatchObject({ pid: expect.any(Number), database: new URL(inject("tradingUrl")).pathname.slice(1) });
    if (can(role, "health.details")) {
      expect(mine).toMatchObject({ query: expect.stringContaining(MARKER), user: expect.any(String), client: expect.any(String) });
      expect(check.detail.hidden).toBeUndefined();
    } else {
      expect(JSON.stringify(snapshot)).not.toContain(MARKER);
      for (const field of ["query", "user", "client"]) expect(mine, field).not.toHaveProperty(field);
      expect(check.detail.hidden).toEqual(["client", "query", "user"]);
    }
  }

  it("cuts at read time: every role read the one shared evaluation, which keeps the details", async () => {
    expect(healthMonitor().evaluations).toBe(1);
    const shared = await healthMonitor().get();
    expect(JSON.stringify(shared)).toContain(MARKER);
  });
});

/** The first `health` and `incidents` events of a live stream (GET /api/live), then the stream is let go. */
async function firstLiveEvents(opened: Promise<ReadableStream<Uint8Array>>): Promise<Record<string, unknown>> {
  const reader = (await opened).getReader();
  const decoder = new TextDecoder();
  const events: Record<string, unknown> = {};
  let buf = "";
  try {
    while (!("health" in events && "incidents" in events)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the live stream ended after ${Object.keys(events).join(", ") || "nothing"}`);
      buf += decoder.decode(value, { stream: true });
      for (let i; (i = buf.indexOf("\n\n")) >= 0; buf = buf.slice(i + 2)) {
        const block = buf.slice(0, i);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const json = /^data: (.*)$/m.exec(block)?.[1];
        if (event && json) events[event] = JSON.parse(json);
      }
    }
    return events;
  } finally {
    await reader.cancel();
  }
}

describe("the live stream's caller", () => {
  it("is re-checked at every push: disabling the user ends the stream", async () => {
    await withEnv({ HEALTH_REFRESH_SECONDS: "1" });
    resetHealthMonitor();
    try {
      signedInAs("viewer");
      const stream = await data.openLiveStream();
      const reader = stream.getReader();
      expect((await reader.read()).done).toBe(false);
      await sql`update console.users set disabled_at = now() where id = ${users.viewer.id}`;
      // The re-check's 15 s cache stands in for time passing.
      clearSessionCache();
      await vi.waitFor(
        async () => {
          const { done } = await reader.read();
          expect(done).toBe(true);
        },
        { timeout: 10_000, interval: 10 },
      );
    } finally {
      await sql`update console.users set disabled_at = null where id = ${users.viewer.id}`;
      resetHealthMonitor();
      await withEnv({ HEALTH_REFRESH_SECONDS: undefined });
    }
  });
});
