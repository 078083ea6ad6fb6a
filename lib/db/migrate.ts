/**
 * Migration runner for the two migration sets in drizzle/:
 * - drizzle/console: the console store (schema `console`), applied by `npm run db:migrate`;
 * - drizzle/trading-fixtures: the trading tables' DDL, applied only to demo and test databases,
 *   or on explicit request (`--trading-fixtures`). Production trading tables are never touched.
 * Scripts import this, so no server-only marker.
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { appRoot } from "../app-root.ts";

const root = appRoot(import.meta.url);

async function runSet(url: string, folder: string, schema: string, table: string): Promise<void> {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    connection: { application_name: "recovery-console-migrate", lock_timeout: 10_000 },
  });
  try {
    // One migrator at a time per database, even with several console instances starting.
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('recovery-console:migrate'))`;
    });
    await migrate(drizzle(sql), { migrationsFolder: path.join(root, "drizzle", folder), migrationsSchema: schema, migrationsTable: table });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function migrateConsoleStore(url: string): Promise<void> {
  return runSet(url, "console", "console", "__migrations");
}

export function migrateTradingFixtures(url: string): Promise<void> {
  return runSet(url, "trading-fixtures", "public", "__recovery_console_fixture_migrations");
}

/** The newest migration in drizzle/console under `base` (drizzle records each as applied with its folder time). */
function latestConsoleMigration(base: string): number {
  const journal = JSON.parse(fs.readFileSync(path.join(base, "drizzle", "console", "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((e) => e.when));
}

export type StoreState = "up-to-date" | "pending" | "unreadable";

/**
 * Whether every console migration is recorded as applied; "unreadable" when this role may not read
 * that record. `base`: the folder holding drizzle/ (the server's readiness passes its working
 * folder, app/readyz/route.ts). A store that cannot be reached throws.
 */
export async function consoleStoreState(url: string, base = root, opts: { connectTimeoutS?: number } = {}): Promise<StoreState> {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: opts.connectTimeoutS ?? 10,
    connection: { application_name: "recovery-console-migrate", statement_timeout: 5000 },
  });
  try {
    const [row] = await sql<{ last: string | null }[]>`select max(created_at)::text as last from console.__migrations`;
    return row?.last != null && Number(row.last) >= latestConsoleMigration(base) ? "up-to-date" : "pending";
  } catch (err) {
    // 42P01 / 3F000: no record yet (a new store). Permission denied: the record exists but is not ours to read.
    if (isPermissionError(err)) return "unreadable";
    if (isMissingRecord(err)) return "pending";
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function isMissingRecord(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === "42P01" || code === "3F000";
}

function isPermissionError(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown; message?: string } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "42501" || /permission denied|must be owner/i.test(e.message ?? "")) return true;
  }
  return false;
}

/**
 * What the launcher does at start-up: nothing when the console store is up to date (so a console
 * running as an app role without DDL rights starts once the owner has migrated); otherwise the
 * migrations, as `migrateUrl`'s role when given (CONSOLE_MIGRATE_DATABASE_URL, the owner) or as
 * the console's own. A role that may not apply them gets a message saying how to.
 */
export async function ensureConsoleStore(url: string, migrateUrl?: string): Promise<"up-to-date" | "migrated"> {
  const state = await consoleStoreState(url);
  if (state === "up-to-date") return "up-to-date";
  if (state === "unreadable" && !migrateUrl) {
    throw new Error(
      "the role in CONSOLE_DATABASE_URL may not read console.__migrations, so the console cannot tell whether the store is up to date. As the owner: GRANT SELECT ON console.__migrations TO <app role> (docs/operations.md, Owner and app roles), or set CONSOLE_MIGRATE_DATABASE_URL to the owner's URL.",
    );
  }
  try {
    await migrateConsoleStore(migrateUrl || url);
  } catch (err) {
    if (!migrateUrl && isPermissionError(err)) {
      throw new Error(
        "the console store has migrations to apply, and the role in CONSOLE_DATABASE_URL may not apply them. Migrate as the schema's owner (CONSOLE_DATABASE_URL=<owner URL> npm run db:migrate), or set CONSOLE_MIGRATE_DATABASE_URL to the owner's URL.",
      );
    }
    throw err;
  }
  return "migrated";
}
