/**
 * What `npm start`, `npm run demo` and the test harness share: databases (embedded by
 * default), migrations, the production build, the Next server process, and clean shutdown.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import postgres from "postgres";
import { ConfigError, parseEnv } from "../../lib/env.ts";
import { appRoot } from "../../lib/app-root.ts";
import type { EmbeddedPg } from "../../lib/db/embedded.ts";
import { ensureConsoleStore, migrateTradingFixtures } from "../../lib/db/migrate.ts";
import { redactUrl, resolveStoreUrls } from "../../lib/db/urls.ts";

export const root = appRoot(import.meta.url);

export type Log = (line: string) => void;
export const log: Log = (line) => console.log(`[recovery-console] ${line}`);

/** Print a configuration problem without a stack trace and exit. */
export function exitWithConfigError(err: unknown, prefix = "Could not start"): never {
  if (err instanceof ConfigError) {
    console.error(`\n${err.message}\n\nSee .env.example for every variable.`);
  } else {
    console.error(`\n${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
}

export async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          [`${variable}: port ${port} is already in use; stop what uses it or set ${variable} to a free port`].concat(
            err.code === "EADDRINUSE" ? [] : [String(err)],
          ),
        ),
      ),
    );
    srv.listen(port, "0.0.0.0", () => srv.close(() => resolve()));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

export type Databases = {
  tradingUrl: string;
  consoleUrl: string;
  embedded: EmbeddedPg | null;
  stop(): Promise<void>;
};

/**
 * Use TRADING_DATABASE_URL / CONSOLE_DATABASE_URL when set; otherwise start the embedded
 * PostgreSQL with databases `distortsignals` and `console`. Migrates the console store, and the
 * trading fixtures when `fixtures` (demo and test databases only).
 */
export async function prepareDatabases(opts: {
  dataDir: string;
  pgPort: number;
  fixtures: boolean | "embedded-only";
  log: Log;
  /** For one-shot tools (user, migrate): use the embedded server a running console owns. */
  reuseRunning?: boolean;
}): Promise<Databases> {
  const given = process.env.TRADING_DATABASE_URL;
  let embedded: EmbeddedPg | null = null;
  let tradingUrl: string;
  let consoleUrl: string;
  if (given) {
    tradingUrl = given;
    consoleUrl = process.env.CONSOLE_DATABASE_URL || given;
    opts.log(`trading DB: ${redactUrl(tradingUrl)}`);
    if (!process.env.CONSOLE_DATABASE_URL) {
      opts.log("warning: CONSOLE_DATABASE_URL is not set; the console tables go in schema `console` on the trading server. A separate store is recommended.");
    }
  } else if (opts.reuseRunning && (await reusableEmbedded(opts.dataDir, opts.pgPort))) {
    // The demo or `npm start` already runs the embedded server: use it (e.g. `npm run user`).
    const url = (await reusableEmbedded(opts.dataDir, opts.pgPort))!;
    tradingUrl = url("distortsignals");
    consoleUrl = url("console");
  } else {
    opts.log(`starting embedded PostgreSQL on 127.0.0.1:${opts.pgPort} (data in ${path.relative(root, opts.dataDir) || opts.dataDir})`);
    // Loaded only here: the packaged artifact ships no embedded PostgreSQL (docs/deploying.md).
    const { startEmbeddedPostgres } = await import("../../lib/db/embedded.ts").catch(() => {
      throw new ConfigError([
        "TRADING_DATABASE_URL: is not set, and this installation has no embedded PostgreSQL: set TRADING_DATABASE_URL (and CONSOLE_DATABASE_URL) to your databases",
      ]);
    });
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(opts.dataDir, "pg"),
      port: opts.pgPort,
      databases: ["distortsignals", "console"],
      log: opts.log,
    });
    tradingUrl = embedded.url("distortsignals");
    consoleUrl = embedded.url("console");
  }
  try {
    // The owner's URL migrates when given, so the console itself may run as an app role without DDL rights.
    await ensureConsoleStore(consoleUrl, embedded ? undefined : process.env.CONSOLE_MIGRATE_DATABASE_URL || undefined);
    if (opts.fixtures === true || (opts.fixtures === "embedded-only" && embedded)) await migrateTradingFixtures(tradingUrl);
  } catch (err) {
    await embedded?.stop();
    throw new Error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { tradingUrl, consoleUrl, embedded, stop: async () => embedded?.stop() };
}

/**
 * For the one-shot CLIs (`npm run user`, `npm run audit:verify`): the stores from the environment,
 * or by default the embedded server (the running console's, else started for the length of the
 * command). Sets TRADING_DATABASE_URL and CONSOLE_DATABASE_URL for the modules the CLI imports
 * next; returns what stops what it started.
 */
export async function cliStores(): Promise<() => Promise<void>> {
  const e = parseEnv(process.env);
  let stop: () => Promise<void> = async () => {};
  if (!e.TRADING_DATABASE_URL) {
    const dbs = await prepareDatabases({
      dataDir: path.resolve(root, e.DATA_DIR),
      pgPort: e.EMBEDDED_PG_PORT,
      fixtures: "embedded-only",
      log: () => {},
      reuseRunning: true,
    });
    process.env.TRADING_DATABASE_URL = dbs.tradingUrl;
    process.env.CONSOLE_DATABASE_URL = dbs.consoleUrl;
    stop = dbs.stop;
  }
  resolveStoreUrls(parseEnv(process.env));
  return stop;
}

/** If our embedded server is already running on `port`, a URL builder for it. */
async function reusableEmbedded(dataDir: string, port: number): Promise<((db: string) => string) | null> {
  let password: string;
  try {
    password = fs.readFileSync(path.join(dataDir, "pg.password"), "utf8").trim();
  } catch {
    return null;
  }
  const url = (db: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  const sql = postgres(url("postgres"), { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return url;
  } catch {
    return null;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A secret kept in the data dir, generated on first use (demo only). */
export function persistentSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const s = randomBytes(32).toString("base64url");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${s}\n`, { mode: 0o600 });
    return s;
  }
}

const BUILD_INPUTS = [
  "app",
  "components",
  "lib",
  "auth.ts",
  "auth.config.ts",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
];

function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (p: string) => {
    const abs = path.join(root, p);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(p, e));
    } else {
      h.update(p).update("\0").update(fs.readFileSync(abs)).update("\0");
    }
  };
  BUILD_INPUTS.forEach(walk);
  return h.digest("hex");
}

/** Build the production bundle unless the sources are unchanged since the last build. */
export async function ensureBuild(log: Log): Promise<void> {
  const distDir = path.join(root, process.env.NEXT_DIST_DIR || ".next");
  const marker = path.join(distDir, "rc-source-hash");
  const hash = sourceHash();
  if (fs.existsSync(path.join(distDir, "BUILD_ID")) && fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === hash) {
    log("production build is up to date");
    return;
  }
  log("building the console (next build, about 30-60 s)…");
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build failed:\n${out.slice(-6000)}`))));
  });
  fs.writeFileSync(marker, hash);
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

export type ConsoleServer = { url: string; child: ChildProcess; stop(): Promise<void> };

/**
 * Node arguments that run the console's HTTP entry point (scripts/console-server.ts: Next's
 * production server, with the client's address decided from the socket) instead of `next start`.
 */
export function consoleServerArgs(): string[] {
  // CONSOLE_CPU_PROFILE_DIR: a V8 CPU profile of the console, written there when it stops (Node
  // refuses --cpu-prof in NODE_OPTIONS); for finding where a request's time goes (docs/performance.md).
  const profile = process.env.CONSOLE_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.CONSOLE_CPU_PROFILE_DIR}`] : [];
  return [...profile, "--import", "tsx", path.join(root, "scripts", "console-server.ts")];
}

/**
 * Start the console (scripts/console-server.ts) and wait until /healthz answers. Its output goes to ours, or, with `logFile`,
 * is appended to that file (the bench and the drills keep their own output readable).
 */
export async function startConsole(opts: {
  port: number;
  env: Record<string, string>;
  log: Log;
  onExit?: (code: number | null) => void;
  logFile?: string;
}): Promise<ConsoleServer> {
  const watchdog = path.join(root, "scripts", "lib", "parent-watchdog.cjs");
  const out = opts.logFile ? fs.openSync(opts.logFile, "a") : "inherit";
  const child = spawn(process.execPath, ["--require", watchdog, ...consoleServerArgs()], {
    cwd: root,
    stdio: ["ignore", out, out],
    env: { ...process.env, ...opts.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: String(opts.port) },
  });
  let exited = false;
  let stopping = false;
  if (typeof out === "number") fs.closeSync(out);
  child.on("exit", (code) => {
    exited = true;
    if (!stopping) opts.onExit?.(code);
  });
  const url = `http://localhost:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the console server exited during start-up (see its output ${opts.logFile ? `in ${opts.logFile}` : "above"})`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error("the console server did not answer /healthz within 60 s");
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (exited) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** Run the cleanups once on SIGINT/SIGTERM (Ctrl-C), then exit. */
export function onShutdown(cleanup: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= cleanup().catch((err) => console.error("shutdown error:", err));
    return running;
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping…`);
      void run().then(() => process.exit(0));
    });
  }
  return run;
}
