/**
 * The console's HTTP entry point, used instead of `next start` by every launcher (`npm start`,
 * `npm run demo`, the e2e world, the bench and the drills all go through
 * scripts/lib/stack.ts startConsole) and by the packaged artifact (bin/console-server.mjs, a bundle
 * of this file: docs/deploying.md). It is Next's documented custom server (`next()` +
 * getRequestHandler() in a node http server), run from the build's own configuration (the
 * standalone config in <distDir>/required-server-files.json, so the artifact needs no next.config.ts),
 * with these additions:
 *  - before Next sees a request, the client's address is decided from the TCP socket, and from
 *    forwarded headers only when trust in proxies is configured (lib/auth/client-address.ts). Next
 *    alone keeps a client-sent X-Forwarded-For and loses the socket's address;
 *  - each request gets its id (X-Request-Id, the same id its audit entry carries) and one JSON log
 *    line when it ends: level, time, request id, route, status, duration and actor (lib/log.ts);
 *  - the console store is migrated at start-up when it is behind (lib/db/migrate.ts);
 *  - SIGTERM stops accepting, lets requests in flight finish (SHUTDOWN_GRACE_SECONDS), runs the
 *    app's shutdown hooks (lib/shutdown.ts: incident leadership is given up) and exits 0.
 *
 * Run with the production build in NEXT_DIST_DIR (default .next):
 *   NODE_ENV=production PORT=3000 node --import tsx scripts/console-server.ts
 * Env: PORT (3000), TRUSTED_PROXY_HOPS / TRUSTED_PROXIES, LOG_FORMAT, and the console's own
 * (docs/configuration.md).
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import next from "next";
import { appRoot } from "../lib/app-root.ts";
import { applyClientAddress, clientAddressPolicy, type ClientAddressPolicy } from "../lib/auth/client-address.ts";
import { ensureConsoleStore } from "../lib/db/migrate.ts";
import { ConfigError, parseEnv, type Env } from "../lib/env.ts";
import { allowedOrigins } from "../lib/http/allowed-origins.ts";
import { requestContext, requestIdFrom, type RequestContext } from "../lib/http/request-context.ts";
import { createLogger } from "../lib/log.ts";
import { runDrainHooks, runShutdownHooks } from "../lib/shutdown.ts";

const root = appRoot(import.meta.url);
// Relative paths (DATA_DIR, drizzle/ for the readiness check) are the console's root's.
process.chdir(root);
(process.env as Record<string, string>).NODE_ENV = "production";

function envOrExit(): Env {
  try {
    return parseEnv(process.env);
  } catch (err) {
    // The same message lib/server-start.ts gives, before anything listens.
    console.error(`\n[recovery-console] ${err instanceof ConfigError ? err.message : String(err)}\n\nSee docs/configuration.md for every variable.\n`);
    process.exit(1);
  }
}
const e = envOrExit();
const policy: ClientAddressPolicy = clientAddressPolicy(e);
const log = createLogger({ format: e.LOG_FORMAT, level: e.LOG_LEVEL });

/**
 * Run from the build's configuration, not next.config.ts (which the artifact does not ship): what
 * `output: "standalone"` writes, with the origins allowed to post server actions taken from this
 * environment rather than the build's.
 */
function applyBuiltConfig(): void {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const file = path.join(root, distDir, "required-server-files.json");
  let config: { distDir?: string; experimental?: { serverActions?: { allowedOrigins?: string[] } } };
  try {
    config = (JSON.parse(fs.readFileSync(file, "utf8")) as { config: typeof config }).config;
  } catch {
    log.fatal({ file }, "no production build here: run `npm run build` (or `npm start`, which builds)");
    process.exit(1);
  }
  config.distDir = distDir;
  config.experimental ??= {};
  config.experimental.serverActions = { ...config.experimental.serverActions, allowedOrigins: allowedOrigins(process.env) };
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
}

/** The store did not answer (down, or not reachable from here), as opposed to answering with a refusal. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P03",
]);
function isUnreachable(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code && UNREACHABLE.has(e.code)) return true;
  }
  return false;
}

/** Migrate the console store when it is behind. A store that cannot be reached does not stop the start: /readyz says so. */
async function prepareStore(): Promise<void> {
  const url = e.CONSOLE_DATABASE_URL ?? e.TRADING_DATABASE_URL;
  if (!url) return;
  try {
    if ((await ensureConsoleStore(url, process.env.CONSOLE_MIGRATE_DATABASE_URL || undefined)) === "migrated") log.info("migrated the console store");
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isUnreachable(err)) {
      log.warn({ err: message }, "the console store is unreachable at start-up; starting anyway (/readyz answers 503 until it is back)");
      return;
    }
    log.fatal({ err: message }, "could not bring the console store up to date");
    process.exit(1);
  }
}

applyBuiltConfig();
await prepareStore();

// All interfaces, as `next start` does. (Not $HOSTNAME: containers set it to their own name.)
const port = e.PORT;
const app = next({ dev: false, dir: root, port, hostname: "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

// Behind a reverse proxy with no trust configured, every client would share the proxy's address
// (one throttle key for all, the proxy's IP in the audit): say so once, naming the settings.
let warned = false;
function warnUntrustedForwarding(req: http.IncomingMessage) {
  if (warned || policy.mode !== "socket" || !req.headers["x-forwarded-for"]) return;
  warned = true;
  log.warn(
    "a request carried X-Forwarded-For, which is ignored: the client is the connection's peer. " +
      "If the console runs behind a reverse proxy, set TRUSTED_PROXY_HOPS or TRUSTED_PROXIES (docs/security.md, Sign-in protections).",
  );
}

/** The path alone: query strings can carry codes and tokens (sign-in callbacks). */
function routeOf(url: string | undefined): string {
  const p = (url ?? "/").split("?")[0]!;
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

/** One line per request, when its response ends (or its connection drops first). */
function logRequest(req: http.IncomingMessage, res: http.ServerResponse, ctx: RequestContext, started: bigint) {
  const line = {
    requestId: ctx.requestId,
    method: req.method,
    route: routeOf(req.url),
    status: res.statusCode,
    durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
    actor: ctx.actor,
    ...(res.writableFinished ? {} : { aborted: true }),
  };
  if (res.statusCode >= 500) log.error(line, "request");
  else log.info(line, "request");
}

let stopping = false;
let inFlight = 0;
let drained: (() => void) | null = null;

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const ctx: RequestContext = { requestId: requestIdFrom(req.headers["x-request-id"] as string | undefined), actor: null };
  // The id the audit reads (lib/auth/request-meta.ts) and the one the client sees.
  req.headers["x-request-id"] = ctx.requestId;
  res.setHeader("X-Request-Id", ctx.requestId);
  // Done when the response is handed to the socket in full ("finish"), or when the connection drops first ("close").
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    logRequest(req, res, ctx, started);
    if (--inFlight === 0) drained?.();
  };
  res.once("finish", end);
  res.once("close", end);
  inFlight++;
  if (stopping) {
    // A request on a kept-alive connection after SIGTERM: not started here.
    res.writeHead(503, { "Content-Type": "text/plain", Connection: "close", "Retry-After": "1" }).end("shutting down\n");
    return;
  }
  warnUntrustedForwarding(req);
  applyClientAddress(req, policy);
  requestContext.run(ctx, () => {
    handle(req, res).catch((err: unknown) => {
      log.error({ requestId: ctx.requestId, err: err instanceof Error ? err.message : String(err) }, "request failed");
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
});

/** Resolves when no request is in flight, or after `ms`. */
function requestsDone(ms: number): Promise<boolean> {
  if (inFlight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    drained = () => {
      clearTimeout(timer);
      resolve(true);
    };
  });
}

// Stop accepting, let requests in flight finish (bounded), give up what this instance holds
// (incident leadership), let Next clean up, exit 0.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, inFlight }, "stopping: no new requests");
    server.close();
    server.closeIdleConnections();
    // Live streams end now (the browsers reconnect to another instance); other requests finish.
    runDrainHooks((name, err) => log.warn({ hook: name, err: err instanceof Error ? err.message : String(err) }, "drain step failed"));
    void (async () => {
      const finished = await requestsDone(e.SHUTDOWN_GRACE_SECONDS * 1000);
      if (!finished)
        log.warn({ inFlight, graceSeconds: e.SHUTDOWN_GRACE_SECONDS }, "requests still in flight after the grace period; closing their connections");
      server.closeAllConnections();
      for (const h of await runShutdownHooks(5000)) {
        if (h.outcome === "done") log.info({ hook: h.name }, "shutdown step done");
        else log.warn({ hook: h.name, outcome: h.outcome, err: h.error }, "shutdown step did not complete");
      }
      await app.close().catch(() => {});
      log.info("stopped");
      log.flush();
      process.exit(0);
    })();
  });
}

// A port in use (or not ours to bind) ends the start, rather than a console that never listens.
server.once("error", (err: NodeJS.ErrnoException) => {
  log.fatal(
    { port, code: err.code, err: err.message },
    err.code === "EADDRINUSE" ? `port ${port} is already in use; stop what uses it or set PORT to a free port` : "cannot listen",
  );
  process.exit(1);
});

server.listen(port, () => {
  log.info(
    {
      port,
      clientAddress:
        policy.mode === "socket"
          ? "socket peer, no forwarded header trusted"
          : policy.mode === "hops"
            ? `${policy.hops} trusted proxy hop(s)`
            : `trusted proxies ${policy.cidrs.join(", ")}`,
    },
    "listening",
  );
});
