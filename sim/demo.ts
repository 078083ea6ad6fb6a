/**
 * `npm run demo`: the console with a live demo world.
 *
 * Starts the embedded PostgreSQL (unless URLs are set) and migrates it, seeds one demo user per
 * role, starts the trading-world simulator, the trade-director simulator (a real HTTP server with
 * a circuit breaker) and a tick-factory worker simulator, builds and starts the console in
 * production mode, and prints the URL, the logins and the trading DB URL. Ctrl-C stops it all.
 *
 * The demo compresses the runbook's time thresholds (e.g. 30 s of signal silence instead of
 * 5 minutes) so that an injected scenario shows within a minute; each can be overridden by
 * setting its variable.
 */
import path from "node:path";
import { parseEnv } from "../lib/env.ts";
import {
  assertPortFree,
  ensureBuild,
  exitWithConfigError,
  freePort,
  log,
  onShutdown,
  persistentSecret,
  prepareDatabases,
  root,
  startConsole,
} from "../scripts/lib/stack.ts";
import { ensureAppRole } from "./app-role.ts";
import { startControlServer } from "./control.ts";
import { readSimStateFile, removeSimStateFile, simStateFilePath, writeSimStateFile } from "./state-file.ts";
import { startTradeDirector } from "./trade-director.ts";
import { startWorkerSim } from "./worker.ts";
import { startWorld } from "./world.ts";

export const DEMO_USERS = [
  { email: "oncall@demo.local", role: "oncall" },
  { email: "viewer@demo.local", role: "viewer" },
  { email: "auditor@demo.local", role: "auditor" },
  { email: "admin@demo.local", role: "admin" },
] as const;

const COMPRESSED: Record<string, string> = {
  SIGNAL_SILENCE_SECONDS: "30",
  STALE_DIRECTIVE_SECONDS: "60",
  IDLE_TX_SECONDS: "30",
  // The EAs beat every 5 s; the worker is probed every refresh, and a 429 stays on its panel for a
  // minute after it recovers.
  EA_HEARTBEAT_STALE_SECONDS: "20",
  WORKER_RATE_LIMIT_WINDOW_SECONDS: "60",
  WORKER_PROBE_INTERVAL_SECONDS: "5",
  // The simulated broker rejects ~5 % of ~1800 executions an hour (about 90): its normal, so green;
  // a warning well above that rate, an incident above 200.
  EXECUTIONS_FAILED_WARN: "150",
  EXECUTIONS_FAILED_CRITICAL: "200",
};

async function seedUsers(password: string): Promise<void> {
  const users = await import("../lib/recovery/access/users.ts");
  const { getUserByEmail } = await import("../lib/db/queries/users.ts");
  const { verifyPassword } = await import("../lib/auth/password.ts");
  const ctx = { actor: { id: "demo-seed", email: "demo-seed", role: "admin" }, request: { userAgent: "npm run demo" } };
  for (const u of DEMO_USERS) {
    const existing = await getUserByEmail({ email: u.email });
    if (!existing) await users.addUser({ email: u.email, role: u.role, password }, ctx);
    else if (!existing.passwordHash || !(await verifyPassword(existing.passwordHash, password))) await users.resetPassword(u.email, password, ctx);
  }
}

const cleanups: Array<() => Promise<void>> = [];
const shutdown = onShutdown(async () => {
  for (const c of cleanups.reverse()) await c().catch((err) => console.error(err));
});

async function main() {
  for (const [k, v] of Object.entries(COMPRESSED)) process.env[k] ??= v;
  // A critical level set below the demo's warning (e.g. EXECUTIONS_FAILED_CRITICAL=100) lowers the warning with it.
  if (Number(process.env.EXECUTIONS_FAILED_WARN) > Number(process.env.EXECUTIONS_FAILED_CRITICAL))
    process.env.EXECUTIONS_FAILED_WARN = process.env.EXECUTIONS_FAILED_CRITICAL;
  const e = parseEnv({ ...process.env, NODE_ENV: "production", AUTH_SECRET: process.env.AUTH_SECRET ?? "x".repeat(32) });
  const dataDir = path.resolve(root, e.DATA_DIR);
  await assertPortFree(e.PORT, "PORT");

  const dbs = await prepareDatabases({ dataDir, pgPort: e.EMBEDDED_PG_PORT, fixtures: true, log });
  cleanups.push(dbs.stop);
  process.env.TRADING_DATABASE_URL = dbs.tradingUrl;
  process.env.CONSOLE_DATABASE_URL = dbs.consoleUrl;

  const password = process.env.DEMO_PASSWORD || persistentSecret(dataDir, "demo-password").slice(0, 16);
  if (password.length < 12) throw new Error("DEMO_PASSWORD: must be at least 12 characters");
  await seedUsers(password);
  const { closeStores } = await import("../lib/db/client.ts");
  await closeStores();

  const authSecret = process.env.AUTH_SECRET || persistentSecret(dataDir, "auth-secret");
  const apiToken = process.env.CONSOLE_API_TOKEN || persistentSecret(dataDir, "api-token");
  const heartbeatToken = process.env.EA_HEARTBEAT_TOKEN || persistentSecret(dataDir, "ea-heartbeat-token");
  const consoleUrl = `http://localhost:${e.PORT}`;

  const director = await startTradeDirector({
    port: Number(process.env.TRADE_DIRECTOR_PORT ?? 0) || (await freePort()),
    token: process.env.TRADE_DIRECTOR_TOKEN,
  });
  cleanups.push(() => director.close());
  const worker = await startWorkerSim({ port: await freePort(), name: "tick-factory" });
  cleanups.push(() => worker.close());
  const appUrl = await ensureAppRole(dbs.tradingUrl, dataDir, log);
  const world = await startWorld({
    tradingUrl: appUrl,
    director,
    worker,
    consoleUrl,
    heartbeatToken,
    log: (line) => console.log(`[sim] ${line}`),
  });
  cleanups.push(() => world.stop());
  const control = await startControlServer({ port: Number(process.env.SIM_CONTROL_PORT ?? 0) || (await freePort()), world });
  cleanups.push(() => control.close());
  const stateFile = process.env.SIM_STATE_FILE ? path.resolve(process.env.SIM_STATE_FILE) : path.join(dataDir, "sim.json");
  await writeSimStateFile({ controlUrl: control.url }, stateFile);
  cleanups.push(() => removeSimStateFile(stateFile));
  // With another DATA_DIR, `npm run sim` (which looks in .data/ by default) still finds this demo:
  // the default file points here too, and is removed on shutdown if it still does.
  const defaultStateFile = simStateFilePath();
  if (!process.env.SIM_STATE_FILE && path.resolve(defaultStateFile) !== stateFile) {
    await writeSimStateFile({ controlUrl: control.url }, defaultStateFile);
    cleanups.push(async () => {
      if ((await readSimStateFile(defaultStateFile))?.controlUrl === control.url) await removeSimStateFile(defaultStateFile);
    });
  }

  await ensureBuild(log);
  const server = await startConsole({
    port: e.PORT,
    log,
    env: {
      TRADING_DATABASE_URL: dbs.tradingUrl,
      CONSOLE_DATABASE_URL: dbs.consoleUrl,
      AUTH_SECRET: authSecret,
      CONSOLE_API_TOKEN: apiToken,
      EA_HEARTBEAT_TOKEN: heartbeatToken,
      TRADE_DIRECTOR_URL: director.url,
      TRADE_DIRECTOR_HALT_URL: process.env.TRADE_DIRECTOR_HALT_URL ?? `${director.url}/admin/halt`,
      // The runbook's placeholders, so the console shows which contacts are not set yet.
      CONTACTS_FILE: process.env.CONTACTS_FILE ?? path.join(root, "contacts.example.json"),
      WORKER_PROBES: process.env.WORKER_PROBES ?? `tick-factory=${worker.url}/health`,
      RECOVERY_ACTIONS_ENABLED: process.env.RECOVERY_ACTIONS_ENABLED ?? "1",
      // The demo's terminal is for a human: the server's log is readable, and its request lines shown only when asked for (LOG_LEVEL=info).
      LOG_FORMAT: process.env.LOG_FORMAT ?? "pretty",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      // Level 1 automated recovery: reset the circuit after 30 s open (at most twice per incident);
      // kill idle sessions after 60 s, as a dry run. See sim/automation-demo.yaml.
      AUTOMATION_FILE: process.env.AUTOMATION_FILE ?? path.join(root, "sim/automation-demo.yaml"),
      // The demo's well-known accounts are allowed only here (lib/auth/demo-guard.ts).
      DEMO_MODE: "1",
      ...Object.fromEntries(Object.keys(COMPRESSED).map((k) => [k, process.env[k]!])),
    },
    onExit: (code) => {
      log(`console server exited (${code}); stopping the demo`);
      void shutdown().then(() => process.exit(code ?? 1));
    },
  });
  cleanups.push(server.stop);

  const thresholds = Object.keys(COMPRESSED)
    .map((k) => `${k}=${process.env[k]}`)
    .join(" ");
  console.log(`
──────────────────────────────────────────────────────────────────────────────
  Recovery Console demo is running:  ${server.url}

  Sign in as (password: ${password})
${DEMO_USERS.map((u) => `    ${u.email.padEnd(22)} ${u.role}`).join("\n")}

  Trading DB (for the runbook's psql steps):
    psql "${dbs.tradingUrl}"
  Trade director (simulated):  ${director.url}   e.g. curl ${director.url}/admin/circuit
  Break and heal the world:    npm run sim -- list | scenario <name> | heal
  Automated recovery (L1):     npm run sim -- scenario trade-director-stuck, then watch the circuit
                               panel count down and automation reset it (policies: ${path.relative(root, process.env.AUTOMATION_FILE ?? path.join(root, "sim/automation-demo.yaml"))})
  Demo thresholds (compressed; set the variables to override): ${thresholds}

  Ctrl-C stops everything (console, simulator and PostgreSQL). Data stays in ${path.relative(root, dataDir) || dataDir}/.
──────────────────────────────────────────────────────────────────────────────
`);
}

main().catch(async (err) => {
  // Whatever was started (PostgreSQL above all) is stopped before we exit.
  await shutdown();
  exitWithConfigError(err);
});
