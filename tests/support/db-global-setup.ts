/**
 * A real PostgreSQL for the DB suites: the server at TEST_DATABASE_URL when set (CI also runs
 * the suites against the machine's PostgreSQL 15), else an embedded one on a free port in a
 * temporary folder. Either way the suites get two fresh databases (trading, console), migrated,
 * and dropped at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedPg } from "../../lib/db/embedded.ts";
import { migrateConsoleStore, migrateTradingFixtures } from "../../lib/db/migrate.ts";
import { freePort } from "../../scripts/lib/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    tradingUrl: string;
    consoleUrl: string;
    adminUrl: string;
  }
}

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPg | null = null;
  let tmp: string | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-test-pg-"));
    fs.chmodSync(tmp, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: await freePort(), databases: [] });
    adminUrl = embedded.url("postgres");
  }
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const names = { trading: `rc_test_trading_${suffix}`, console: `rc_test_console_${suffix}` };
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  for (const n of Object.values(names)) await admin.unsafe(`create database ${n}`);
  const tradingUrl = withDb(adminUrl, names.trading);
  const consoleUrl = withDb(adminUrl, names.console);
  await migrateTradingFixtures(tradingUrl);
  await migrateConsoleStore(consoleUrl);
  project.provide("tradingUrl", tradingUrl);
  project.provide("consoleUrl", consoleUrl);
  project.provide("adminUrl", adminUrl);

  return async () => {
    for (const n of Object.values(names)) await admin.unsafe(`drop database if exists ${n} with (force)`);
    await admin.end({ timeout: 5 });
    await embedded?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };
}
