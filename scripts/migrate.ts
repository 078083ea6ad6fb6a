/**
 * `npm run db:migrate` migrates the console store only.
 * `npm run db:migrate -- --trading-fixtures` also creates the trading tables (demo/test DBs only:
 * never point this at a production DistortSignals database).
 */
import path from "node:path";
import { parseEnv } from "../lib/env.ts";
import { exitWithConfigError, log, prepareDatabases, root } from "./lib/stack.ts";

const fixtures = process.argv.includes("--trading-fixtures");
try {
  const e = parseEnv(process.env);
  const dbs = await prepareDatabases({
    dataDir: path.resolve(root, e.DATA_DIR),
    pgPort: e.EMBEDDED_PG_PORT,
    fixtures: fixtures ? true : "embedded-only",
    log,
    reuseRunning: true,
  });
  log(`migrated the console store${fixtures || dbs.embedded ? " and the trading fixtures" : ""}`);
  await dbs.stop();
} catch (err) {
  exitWithConfigError(err);
}
