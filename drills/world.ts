/**
 * The game-day world: everything a drill breaks, for real, in a throwaway folder.
 *
 * - the trading database on its own embedded PostgreSQL, set up as production should be
 *   (docs/operations.md, "Server and role settings for a pool exhaustion"): a small max_connections, `reserved_connections`
 *   held for the console's role (granted pg_use_reserved_connections, pg_monitor and
 *   pg_signal_backend), and the trading services connecting as an ordinary role;
 * - the console store on a second embedded PostgreSQL (the recommended separate store), so the
 *   trading DB and the audit store can fail independently;
 * - the trade-director simulator and a tick-factory worker that records every request;
 * - the console: the production build, started by scripts/lib/stack.ts startConsole, compressed thresholds.
 */
import fs from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import type postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedPg } from "../lib/db/embedded.ts";
import { migrateConsoleStore, migrateTradingFixtures } from "../lib/db/migrate.ts";
import { freePort } from "../scripts/lib/stack.ts";
import { startTradeDirector, type TradeDirectorSim } from "../sim/trade-director.ts";
import { ActionClient, ensureUser, launchConsole, secret, sessionCookie, type ConsoleUnderTest, type TestUser } from "../tests/support/harness/console.ts";
import { connect, withDatabase } from "../tests/support/harness/pg.ts";
import { provisionAppRole, provisionConsoleRole, type RoleLogin } from "../tests/support/harness/roles.ts";

/** The trading server's connection budget: small, so filling it is quick. */
export const MAX_CONNECTIONS = 40;
/** Slots only roles with pg_use_reserved_connections may take (PostgreSQL 16+). */
export const RESERVED_CONNECTIONS = 10;

/** A worker that answers 200, or 429 with Retry-After, and notes when each request came. */
export type RecordingWorker = {
  url: string;
  requests: number[];
  rateLimit(retryAfterSeconds: number): void;
  heal(): void;
  close(): Promise<void>;
};

async function startRecordingWorker(): Promise<RecordingWorker> {
  let retryAfter: number | null = null;
  const requests: number[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(Date.now());
    req.resume();
    if (retryAfter !== null) {
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(retryAfter) });
      res.end('{"ok":false,"error":"rate_limited"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rateLimit: (s) => {
      retryAfter = s;
    },
    heal: () => {
      retryAfter = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type DrillWorld = {
  dir: string;
  trading: {
    pg: EmbeddedPg;
    port: number;
    dataDir: string;
    settings: Record<string, string | number>;
    adminUrl: string;
    consoleRole: RoleLogin;
    appRole: RoleLogin;
    appUrl: string;
  };
  store: { pg: EmbeddedPg; port: number; dataDir: string; adminUrl: string };
  director: TradeDirectorSim;
  worker: RecordingWorker;
  app: ConsoleUnderTest;
  client: ActionClient;
  oncall: TestUser;
  viewer: TestUser;
  heartbeatToken: string;
  logFile: string;
  /** Cookies minted now (destructive actions need a recent sign-in). */
  cookie(user: TestUser): Promise<string>;
  /** A superuser connection to the trading database (closed by the caller). */
  tradingAdmin(): postgres.Sql;
  storeAdmin(): postgres.Sql;
  restartTrading(): Promise<void>;
  restartStore(): Promise<void>;
  /** Start the console again (after a kill or a stop), same port and environment, changed by `extra` (undefined removes a variable). */
  relaunch(extra?: Record<string, string | undefined>): Promise<void>;
  close(): Promise<void>;
};

export const THRESHOLDS = {
  HEALTH_REFRESH_SECONDS: "1",
  IDLE_TX_SECONDS: "1",
  STALE_DIRECTIVE_SECONDS: "60",
  CIRCUIT_TIMEOUT_MS: "1000",
  TRADE_DIRECTOR_TIMEOUT_MS: "1000",
  WORKER_PROBE_INTERVAL_SECONDS: "1",
  WORKER_RATE_LIMIT_WINDOW_SECONDS: "30",
  EA_HEARTBEAT_STALE_SECONDS: "30",
  DB_CONNECT_TIMEOUT_S: "2",
};

export async function startWorld(o: { log: (line: string) => void }): Promise<DrillWorld> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-drills-"));
  // The postgres user (as root) must reach the data folders.
  fs.chmodSync(dir, 0o755);
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const tradingSettings = { max_connections: MAX_CONNECTIONS, reserved_connections: RESERVED_CONNECTIONS, superuser_reserved_connections: 3 };
    const tradingPort = await freePort();
    const tradingDir = path.join(dir, "trading-pg");
    let tradingPg = await startEmbeddedPostgres({ dataDir: tradingDir, port: tradingPort, databases: ["distortsignals"], settings: tradingSettings });
    stops.push(() => tradingPg.stop());
    const storePort = await freePort();
    const storeDir = path.join(dir, "store-pg");
    let storePg = await startEmbeddedPostgres({ dataDir: storeDir, port: storePort, databases: ["console"] });
    stops.push(() => storePg.stop());
    const tradingAdminUrl = tradingPg.url("distortsignals");
    const storeAdminUrl = storePg.url("console");
    await migrateTradingFixtures(tradingAdminUrl);
    await migrateConsoleStore(storeAdminUrl);

    const consoleRole = { user: "recovery_console", password: secret() };
    const appRole = { user: "distortsignals_app", password: secret() };
    const admin = connect(tradingAdminUrl);
    try {
      const [{ major }] = await admin<[{ major: number }]>`select current_setting('server_version_num')::int / 10000 as major`;
      await provisionConsoleRole(admin, consoleRole, { major });
      await provisionAppRole(admin, appRole);
    } finally {
      await admin.end({ timeout: 2 });
    }

    const director = await startTradeDirector({ port: 0 });
    stops.push(() => director.close());
    const worker = await startRecordingWorker();
    stops.push(() => worker.close());

    const heartbeatToken = secret();
    const logFile = path.join(dir, "console.log");
    const app = await launchConsole({
      port: await freePort(),
      logFile,
      log: o.log,
      env: {
        TRADING_DATABASE_URL: withDatabase(tradingAdminUrl, "distortsignals", consoleRole),
        CONSOLE_DATABASE_URL: storeAdminUrl,
        TRADE_DIRECTOR_URL: director.url,
        WORKER_PROBES: `tick-factory=${worker.url}/health`,
        EA_HEARTBEAT_TOKEN: heartbeatToken,
        DATA_DIR: path.join(dir, "console-data"),
        ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: "0",
        ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS: "0",
        ACTION_COOLDOWN_KILL_SESSIONS_SECONDS: "0",
        ACTION_RATE_LIMIT_PER_MINUTE: "1000",
        PREVIEW_RATE_LIMIT_PER_MINUTE: "1000",
        // The periodic anchorer, every 2 s (rewrite-before-anchor waits for its refusal).
        AUDIT_ANCHOR_SECONDS: "2",
        ...THRESHOLDS,
      },
    });
    let current = app;
    stops.push(() => current.stop());

    const store = connect(storeAdminUrl);
    const oncall = await ensureUser(store, "oncall@drills.example", "oncall");
    const viewer = await ensureUser(store, "viewer@drills.example", "viewer");
    await store.end({ timeout: 2 });

    const world: DrillWorld = {
      dir,
      trading: {
        pg: tradingPg,
        port: tradingPort,
        dataDir: tradingDir,
        settings: tradingSettings,
        adminUrl: tradingAdminUrl,
        consoleRole,
        appRole,
        appUrl: withDatabase(tradingAdminUrl, "distortsignals", appRole),
      },
      store: { pg: storePg, port: storePort, dataDir: storeDir, adminUrl: storeAdminUrl },
      director,
      worker,
      app,
      client: new ActionClient(app.url),
      oncall,
      viewer,
      heartbeatToken,
      logFile,
      cookie: (user) => sessionCookie(world.app.authSecret, user),
      tradingAdmin: () => connect(tradingAdminUrl, { max: 2 }),
      storeAdmin: () => connect(storeAdminUrl, { max: 2 }),
      async restartTrading() {
        await tradingPg.stop();
        tradingPg = await startEmbeddedPostgres({ dataDir: tradingDir, port: tradingPort, databases: [], settings: tradingSettings });
        world.trading.pg = tradingPg;
      },
      async restartStore() {
        await storePg.stop();
        storePg = await startEmbeddedPostgres({ dataDir: storeDir, port: storePort, databases: [] });
        world.store.pg = storePg;
      },
      async relaunch(extra) {
        current = await current.restart(extra);
        world.app = current;
        world.client = new ActionClient(current.url);
      },
      async close() {
        for (const stop of stops.reverse()) await stop().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    return world;
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// ── What an on-call sees ────────────────────────────────────────────────────────────────────

export type HealthCheck = { id: string; status: string; value: number | string | null; summary: string; error?: { code: string; message: string } };
export type Health = { generatedAt: string; checks: HealthCheck[] };

export async function health(world: DrillWorld, timeoutMs = 10_000): Promise<{ body: Health; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${world.app.url}/api/health`, {
    headers: { authorization: `Bearer ${world.app.apiToken}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`/api/health answered ${res.status}`);
  return { body: (await res.json()) as Health, ms: performance.now() - t0 };
}

export function check(h: Health, id: string): HealthCheck {
  const c = h.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in /api/health`);
  return c;
}

/** GET a page as `cookie`: its status, HTML and how long the whole answer took. */
export async function page(world: DrillWorld, p: string, cookie: string, timeoutMs = 10_000): Promise<{ status: number; html: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${world.app.url}${p}`, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  const html = await res.text();
  return { status: res.status, html, ms: performance.now() - t0 };
}

/** The status a panel shows in the server-rendered dashboard (its data-status attribute). */
export function panelStatus(html: string, id: string): string | null {
  return new RegExp(`data-testid="panel-${id}"[^>]*data-status="([a-z]+)"`).exec(html)?.[1] ?? null;
}

/** Poll until `fn` returns a truthy value, or fail with `what` and the last value seen. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new Error(`${what} (not within ${timeoutMs} ms; last: ${typeof last === "string" ? last : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export type AuditRow = {
  seq: number;
  action: string;
  phase: string;
  outcome: string;
  intent_seq: number | null;
  actor_email: string | null;
  request_id: string | null;
  detail: Record<string, unknown> | null;
};

export async function auditRows(world: DrillWorld, where: { afterSeq?: number; requestId?: string } = {}): Promise<AuditRow[]> {
  const sql = world.storeAdmin();
  try {
    return await sql<AuditRow[]>`
      select seq::int as seq, action, phase, outcome, intent_seq::int as intent_seq, actor_email, request->>'requestId' as request_id, detail
      from console.audit_log
      where seq > ${where.afterSeq ?? 0} and (${where.requestId ?? null}::text is null or request->>'requestId' = ${where.requestId ?? null})
      order by seq`;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The console's anchor file (AUDIT_ANCHOR_FILE's default under the world's DATA_DIR). */
export function anchorFile(world: DrillWorld): string {
  return path.join(world.dir, "console-data", "audit-anchors.ndjson");
}

export async function auditHead(world: DrillWorld): Promise<number> {
  const sql = world.storeAdmin();
  try {
    const [r] = await sql<[{ seq: number }]>`select coalesce(max(seq), 0)::int as seq from console.audit_log`;
    return r.seq;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

// ── Directives a drill sets up ──────────────────────────────────────────────────────────────

/** `n` pending directives an hour old (stale): returns their ids. */
export async function insertStale(world: DrillWorld, n: number): Promise<string[]> {
  const sql = world.tradingAdmin();
  try {
    const rows = await sql<{ id: string }[]>`
      insert into trade_directives (symbol, status, created_at)
      select 'EURUSD', 'pending', now() - interval '1 hour' - make_interval(secs => g) from generate_series(1, ${n}) g
      returning id::text as id`;
    return rows.map((r) => r.id);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The status of each of these directives. */
export async function statuses(world: DrillWorld, ids: string[]): Promise<Record<string, string>> {
  const sql = world.tradingAdmin();
  try {
    const rows = await sql<{ id: string; status: string }[]>`select id::text as id, status from trade_directives where id = any(${ids}::bigint[])`;
    return Object.fromEntries(rows.map((r) => [r.id, r.status]));
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** Every stale directive left by a drill is closed, so the next drill previews only its own. */
export async function settleDirectives(world: DrillWorld): Promise<void> {
  const sql = world.tradingAdmin();
  try {
    await sql`update trade_directives set status = 'executed' where status = 'pending'`;
  } finally {
    await sql.end({ timeout: 2 });
  }
}
