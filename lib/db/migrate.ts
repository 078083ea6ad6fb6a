/**
 * Migration runner for the two migration sets in drizzle/:
 * - drizzle/console: the console store (schema `console`), applied by `npm run db:migrate`;
 * - drizzle/trading-fixtures: the trading tables' DDL, applied only to demo and test databases,
 *   or on explicit request (`--trading-fixtures`). Production trading tables are never touched.
 * Scripts import this, so no server-only marker.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

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
