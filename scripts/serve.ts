/**
 * `npm start`: the console in production mode. With no database URL set it starts the
 * embedded PostgreSQL (data in .data/pg); it migrates the console store, checks the
 * configuration and the port, then runs the console server (scripts/console-server.ts: Next's
 * production server behind the client-address entry point). Ctrl-C stops everything.
 */
import path from "node:path";
import { parseEnv } from "../lib/env.ts";
import { assertPortFree, ensureBuild, exitWithConfigError, log, onShutdown, prepareDatabases, root, startConsole } from "./lib/stack.ts";

try {
  const e = parseEnv({ ...process.env, NODE_ENV: "production" });
  await assertPortFree(e.PORT, "PORT");
  const dbs = await prepareDatabases({ dataDir: path.resolve(root, e.DATA_DIR), pgPort: e.EMBEDDED_PG_PORT, fixtures: "embedded-only", log });
  let stopConsole: () => Promise<void> = async () => {};
  const shutdown = onShutdown(async () => {
    await stopConsole();
    await dbs.stop();
  });
  await ensureBuild(log);
  const server = await startConsole({
    port: e.PORT,
    log,
    env: { TRADING_DATABASE_URL: dbs.tradingUrl, CONSOLE_DATABASE_URL: dbs.consoleUrl },
    onExit: (code) => {
      log(`console server exited (${code}); stopping`);
      void shutdown().then(() => process.exit(code ?? 1));
    },
  });
  stopConsole = server.stop;
  log(`console ready at ${server.url}`);
} catch (err) {
  exitWithConfigError(err);
}
