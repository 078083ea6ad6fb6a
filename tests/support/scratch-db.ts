/**
 * Scratch databases for suites that must not disturb the shared test console DB: tampering
 * (which breaks the chain on purpose), large fixtures (100k rows), exact filter counts.
 * Created and dropped through the admin connection on the same test server.
 */
import { inject } from "vitest";
import { migrateConsoleStore } from "../../lib/db/migrate.ts";
import { connect, withEnv } from "./db.ts";

export type Scratch = { name: string; url: string; drop(): Promise<void> };

let counter = 0;

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (sql: ReturnType<typeof connect>) => Promise<T>): Promise<T> {
  const sql = connect("admin", { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A new database: migrated as a console store, or a copy of `template` (which must have no connections). */
export async function createScratchDb(label: string, opts: { template?: string } = {}): Promise<Scratch> {
  const name = `rc_scratch_${label}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await admin((sql) => sql.unsafe(`create database ${name}${opts.template ? ` template ${opts.template}` : ""}`));
  const url = withDb(inject("adminUrl"), name);
  if (!opts.template) await migrateConsoleStore(url);
  return { name, url, drop: () => admin((sql) => sql.unsafe(`drop database if exists ${name} with (force)`)).then(() => {}) };
}

/** Point the code under test (withConsole, appendAudit, the audit queries) at another console store. */
export async function switchConsoleStore(url: string | undefined): Promise<void> {
  const { closeStores } = await import("../../lib/db/client.ts");
  await closeStores();
  await withEnv({ CONSOLE_DATABASE_URL: url ?? inject("consoleUrl") });
}
