/**
 * The console store restarts (or a DBA ends the console's sessions): the console's long-held
 * sessions (incident leadership, an action's lock) learn it at once, and the pool keeps serving
 * every statement right away. The drill `row-lock-held` right after `audit-store-down` was refused
 * as "the console store cannot be reached" when a dead reserved connection had been handed back to
 * the pool (postgres.js 3.4.9, see holdConsoleSession in lib/db/client.ts).
 *
 * The store here is a PostgreSQL server of this suite's own, so that it can be stopped and started
 * without disturbing the other suites.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeStores, withConsole } from "@/lib/db/client";
import { startEmbeddedPostgres, type EmbeddedPg } from "@/lib/db/embedded";
import { migrateConsoleStore } from "@/lib/db/migrate";
import { withActionLock } from "@/lib/db/queries/actions";
import { openAuditCursor } from "@/lib/db/queries/audit";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { IncidentEvaluator } from "@/lib/recovery/incidents/evaluator";
import { freePort } from "@/scripts/lib/stack";
import { withEnv } from "../support/db";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-store-restart-"));
fs.chmodSync(tmp, 0o755);
const dataDir = path.join(tmp, "pg");
let port: number;
let pg: EmbeddedPg;
let url: string;

const SYSTEM = { id: "system:test", email: "system:test", role: "system" };

/** Ten statements that are not safe to repeat (audit entries), one after another and ten at once. */
async function writesSucceed(label: string): Promise<void> {
  for (let i = 0; i < 10; i++)
    await appendAudit({ actor: SYSTEM, action: "test.store_restart", outcome: "succeeded", detail: { label, i } }, { timeoutMs: 3000 });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      appendAudit({ actor: SYSTEM, action: "test.store_restart", outcome: "succeeded", detail: { label, parallel: i } }, { timeoutMs: 3000 }),
    ),
  );
}

async function restartStore(): Promise<void> {
  await pg.stop();
  pg = await startEmbeddedPostgres({ dataDir, port, databases: [] });
}

beforeAll(async () => {
  port = await freePort();
  pg = await startEmbeddedPostgres({ dataDir, port, databases: ["console"] });
  url = pg.url("console");
  await migrateConsoleStore(url);
  await closeStores();
  await withEnv({ CONSOLE_DATABASE_URL: url, CONSOLE_POOL_MAX: "3", DB_CONNECT_TIMEOUT_S: "2" });
}, 60_000);

afterAll(async () => {
  await closeStores();
  await withEnv({ CONSOLE_DATABASE_URL: undefined, CONSOLE_POOL_MAX: undefined, DB_CONNECT_TIMEOUT_S: undefined });
  await pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("after the console store restarts", () => {
  it("the leader sees its lock gone at its next tick (no hang), leads again, and every write works at once", async () => {
    const lines: string[] = [];
    const ev = new IncidentEvaluator({ intervalMs: 60_000, evaluate: async () => [], log: (l) => lines.push(l) });
    expect(await ev.tick([])).not.toBeNull();
    expect(ev.isLeader).toBe(true);
    // Every pooled connection in use once, so that each one meets the restart.
    await Promise.all(Array.from({ length: 3 }, () => withConsole((sql) => sql`select pg_sleep(0.05)`)));

    await restartStore();

    const started = Date.now();
    expect(await ev.tick([])).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines.join("\n")).toMatch(/lost the leadership/);
    expect(ev.isLeader).toBe(false);
    await writesSucceed("after restart");
    // The lock went with the old session: this instance takes it again.
    expect(await ev.tick([])).not.toBeNull();
    expect(ev.isLeader).toBe(true);
    // An action's lock right after the restart, and the writes inside it.
    const locked = await withActionLock("test.restart", async () => {
      await writesSucceed("under the action lock");
      return "ran";
    });
    expect(locked).toEqual({ locked: true, value: "ran" });
    await ev.stop();
  }, 60_000);

  it("a lock session ended by the server mid-run leaves the pool healthy, and the lock free", async () => {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const locked = await withActionLock("test.terminated", async () => {
        // A DBA (or a store failover) ends the session that holds the lock.
        const [{ n }] = await admin<[{ n: number }]>`
          select count(pg_terminate_backend(pid))::int as n from pg_locks where locktype = 'advisory' and granted and pid <> pg_backend_pid()`;
        expect(n).toBe(1);
        return "ran";
      });
      expect(locked).toEqual({ locked: true, value: "ran" });
      await writesSucceed("after a terminated lock session");
      // Nobody holds it now: the next run takes it.
      expect(await withActionLock("test.terminated", async () => "again")).toEqual({ locked: true, value: "again" });
    } finally {
      await admin.end({ timeout: 2 });
    }
  }, 60_000);

  it("an audit export whose session the server ended fails, and leaves the pool healthy", async () => {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await writesSucceed("to export");
      const cursor = await openAuditCursor({ deadlineMs: 10_000, batch: 5 });
      const first = await cursor.batches.next();
      expect(first.done).toBe(false);
      // The export's own session: the one whose cursor is open on the log.
      const [{ n }] = await admin<[{ n: number }]>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where pid <> pg_backend_pid() and application_name = 'recovery-console-store' and query like '%from console.audit_log a where%'`;
      expect(n).toBe(1);
      // Wait until the server has ended it, so the next batch is asked of a closed session (the
      // driver can then end the cursor quietly; the export must still fail).
      await expect
        .poll(
          async () =>
            (
              await admin`select 1 from pg_stat_activity where application_name = 'recovery-console-store' and query like '%from console.audit_log a where%' and pid <> pg_backend_pid()`
            ).length,
          { timeout: 5000 },
        )
        .toBe(0);
      await expect(async () => {
        for await (const batch of cursor.batches) void batch;
      }).rejects.toThrow();
      await cursor.close();
      await writesSucceed("after a terminated export");
    } finally {
      await admin.end({ timeout: 2 });
    }
  }, 60_000);
});
