/**
 * The simulated DistortSignals trading world: continuous, realistic traffic in the
 * trading database, and the five runbook failure scenarios on demand.
 *
 *   signal generator  -> signal_outbox, every ~signalMs (runbook scenario 1)
 *   trade director    -> a trade_directives row per new signal ('pending'), then
 *                        pending -> 'executed' | 'failed' while the director sim's
 *                        circuit is closed and processing is on (runbook scenario 2)
 *   execution officer -> an execution_events row per processed directive, and EA
 *   / MT5 EA             heartbeats to the console (runbook scenario 5)
 *
 * Every query has a client-side timeout (plus statement_timeout server-side), and a
 * failed query is logged and retried on the next tick: the database may well be down
 * during a drill, and the world must not crash because of it.
 */
import postgres from "postgres";
import { SCENARIO_NAMES, type ScenarioName } from "./scenarios.ts";
import type { CircuitSnapshot, DirectorMode, TradeDirectorSim } from "./trade-director.ts";
import type { WorkerSim } from "./worker.ts";

export interface WorldOptions {
  /** postgres:// URL of the trading database. */
  tradingUrl: string;
  director: TradeDirectorSim;
  /** Needed only by the `worker-rate-limit` scenario. */
  worker?: WorkerSim;
  /** With `heartbeatToken`, enables EA heartbeats to `${consoleUrl}/api/heartbeat`. */
  consoleUrl?: string;
  heartbeatToken?: string;
  /** Trade director cadence; default 1000 ms. */
  tickMs?: number;
  /** Signal cadence (±25% jitter); default 2 × tickMs. */
  signalMs?: number;
  /** Heartbeat cadence; default min(5000, 5 × tickMs). */
  heartbeatMs?: number;
  /** Per-query timeout; default 5000 ms. */
  queryTimeoutMs?: number;
  /** Sessions left idle in transaction by `pool-exhaustion`; default 8. */
  poolExhaustionConnections?: number;
  /** Retry-After seconds for `worker-rate-limit`; default 30. */
  retryAfterSeconds?: number;
  log?: (line: string) => void;
}

export interface WorldState {
  running: boolean;
  startedAt: string;
  active: ScenarioName[];
  counts: {
    signals: number;
    directives: number;
    executed: number;
    failed: number;
    executionEvents: number;
    heartbeatsSent: number;
    heartbeatFailures: number;
    dbErrors: number;
  };
  lastSignalAt: string | null;
  db: { ok: boolean | null; lastError: string | null; lastErrorAt: string | null };
  director: CircuitSnapshot & { url: string; mode: DirectorMode };
  worker: { name: string; url: string; rateLimitedFor: number | null; requestCount: number } | null;
  heartbeats: { enabled: boolean; lastOkAt: string | null; lastError: string | null };
  /** Sessions opened by `pool-exhaustion` that have not been terminated yet. */
  idleInTransaction: number;
}

export interface World {
  /** Stops all traffic, closes the pool-exhaustion sessions and the world's pool. */
  stop(): Promise<void>;
  /** Starts a failure scenario; injecting an active scenario is a no-op. */
  inject(name: ScenarioName): Promise<void>;
  /** Heals one scenario, or every scenario when called without a name. */
  heal(name?: ScenarioName): Promise<void>;
  state(): WorldState;
}

/** Thrown by inject() when a scenario cannot run in this world (e.g. no worker sim). */
export class ScenarioUnavailableError extends Error {
  override name = "ScenarioUnavailableError";
}

const SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "BTCUSD"] as const;
const BASE_PRICE: Record<(typeof SYMBOLS)[number], number> = {
  EURUSD: 1.085,
  GBPUSD: 1.27,
  USDJPY: 151.2,
  XAUUSD: 2350,
  BTCUSD: 67000,
};
const FAILURE_RATE = 0.05;
const MT5_ERRORS = ["TRADE_RETCODE_REJECT", "TRADE_RETCODE_NO_MONEY", "TRADE_RETCODE_PRICE_OFF", "TRADE_RETCODE_MARKET_CLOSED", "TRADE_RETCODE_TIMEOUT"];
const EA_INSTANCES = [
  { instance: "ea-primary", role: "primary" },
  { instance: "ea-backup", role: "backup" },
] as const;
/** Directives processed per tick: a backlog drains over a few ticks, like a real catch-up. */
const BATCH = 50;
/** While the DB keeps failing the same way, repeat the log line at most this often. */
const REPEAT_LOG_MS = 30_000;

/**
 * postgres.js reconnect backoff, capped at 2 s (its default grows to 20 s). Keeps the
 * world quick to recover when the database comes back after a drill, and bounds how
 * long a pending reconnect timer can keep the process alive after stop().
 */
const reconnectBackoff = (attempt: number): number => Math.min(0.1 * 2 ** attempt, 2);

/** A query promise that postgres.js can cancel (PendingQuery). */
type Cancellable<T> = Promise<T> & { cancel?: () => unknown };

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const text = typeof code === "string" && code !== "" ? `${code}: ${err.message}` : err.message;
    // fetch() hides the useful part ("ECONNREFUSED ...") in `cause`.
    return err.cause instanceof Error ? `${text} (${errorText(err.cause)})` : text;
  }
  return String(err);
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** Rejects after `ms`, cancelling the query if postgres.js lets us. */
function withTimeout<T>(query: Cancellable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        void Promise.resolve(query.cancel?.()).catch(() => {});
      } catch {
        // cancel() on an already-settled query; nothing to do.
      }
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    timer.unref();
  });
  return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
}

interface Loop {
  stop(): Promise<void>;
}

/** Runs `fn` every `interval()` ms, never overlapping itself (setTimeout chain, no busy loop). */
function every(interval: () => number, fn: () => Promise<void>, onError: (err: unknown) => void): Loop {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  const run = (): void => {
    timer = null;
    inFlight = fn()
      .catch(onError)
      .finally(() => {
        inFlight = null;
        // Deliberately not unref()ed: the world keeps the process alive while started.
        if (!stopped) timer = setTimeout(run, interval());
      });
  };
  timer = setTimeout(run, interval());
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}

interface Hog {
  sql: postgres.Sql | null;
  reserved: postgres.ReservedSql | null;
  /** The session's socket closed (e.g. pg_terminate_backend from the console). */
  gone: boolean;
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const log = opts.log ?? ((line: string) => console.log(`[sim] ${line}`));
  const tickMs = opts.tickMs ?? 1000;
  const signalMs = opts.signalMs ?? 2 * tickMs;
  const heartbeatMs = opts.heartbeatMs ?? Math.min(5000, 5 * tickMs);
  const queryTimeoutMs = opts.queryTimeoutMs ?? 5000;
  const hogCount = opts.poolExhaustionConnections ?? 8;
  const { director, worker } = opts;
  const heartbeatsEnabled = Boolean(opts.consoleUrl && opts.heartbeatToken);

  const sql = postgres(opts.tradingUrl, {
    max: 4,
    connect_timeout: Math.ceil(queryTimeoutMs / 1000),
    idle_timeout: 60,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: "distortsignals-sim", statement_timeout: queryTimeoutMs },
  });
  const q = <T>(query: Cancellable<T>, what: string): Promise<T> => withTimeout(query, queryTimeoutMs, what);

  let running = true;
  const startedAt = new Date().toISOString();
  const active = new Set<ScenarioName>();
  const counts: WorldState["counts"] = {
    signals: 0,
    directives: 0,
    executed: 0,
    failed: 0,
    executionEvents: 0,
    heartbeatsSent: 0,
    heartbeatFailures: 0,
    dbErrors: 0,
  };
  let lastSignalAt: string | null = null;
  const db: WorldState["db"] = { ok: null, lastError: null, lastErrorAt: null };
  const hb: WorldState["heartbeats"] = { enabled: heartbeatsEnabled, lastOkAt: null, lastError: null };
  let hogs: Hog[] = [];
  let lastDbLogAt = 0;
  let lastDbLogMessage: string | null = null;

  // ---- error reporting: say it once, then again only if it changes or every 30 s ----
  const dbFailed = (where: string, err: unknown): void => {
    counts.dbErrors += 1;
    const message = errorText(err);
    const text = `${where}: ${message}`;
    const now = Date.now();
    // Keyed on the message alone: every loop hits the same outage, one line is enough.
    if (message !== lastDbLogMessage || now - lastDbLogAt > REPEAT_LOG_MS) {
      log(`database error (will retry) in ${text}`);
      lastDbLogAt = now;
      lastDbLogMessage = message;
    }
    db.ok = false;
    db.lastError = text;
    db.lastErrorAt = new Date(now).toISOString();
  };
  const dbOk = (): void => {
    if (db.ok === false) log("database reachable again");
    db.ok = true;
    lastDbLogMessage = null;
  };

  /** The new signals the director has not turned into directives yet start above this id. */
  let signalCursor: string | null = null;
  const initCursor = async (): Promise<void> => {
    const [row] = await q(sql<{ max: string }[]>`select coalesce(max(id), 0)::text as max from signal_outbox`, "reading the signal cursor");
    signalCursor = row?.max ?? "0";
  };
  try {
    await initCursor();
    dbOk();
  } catch (err) {
    dbFailed("startup", err); // retried by the first director tick
  }

  // ---- signal generator (runbook scenario 1) ----
  const generateSignal = async (): Promise<void> => {
    if (active.has("signal-generator-crash")) return;
    const symbol = pick(SYMBOLS);
    const side = Math.random() < 0.5 ? "buy" : "sell";
    const strength = (0.5 + Math.random() * 0.5).toFixed(3);
    const price = BASE_PRICE[symbol] * (1 + (Math.random() - 0.5) * 0.002);
    const payload = {
      source: "distortsignals-sim",
      model: "distort-v3",
      timeframe: pick(["M1", "M5", "M15"]),
      price: Number(price.toPrecision(6)),
      confidence: Number(strength),
    };
    try {
      await q(
        sql`insert into signal_outbox (symbol, side, strength, payload)
            values (${symbol}, ${side}, ${strength}, ${sql.json(payload)})`,
        "inserting a signal",
      );
      dbOk();
      counts.signals += 1;
      lastSignalAt = new Date().toISOString();
    } catch (err) {
      dbFailed("signal generator", err);
    }
  };

  /** Brings scenario flags in line with reality when someone fixed things behind our back. */
  const reconcile = (): void => {
    // An operator's POST /admin/reset-circuit heals runbook scenario 2.
    if (active.has("trade-director-stuck") && director.state === "closed") {
      active.delete("trade-director-stuck");
      log("trade director circuit closed again: processing resumes");
    }
    if (active.has("worker-rate-limit") && worker && worker.rateLimitedFor === null) {
      active.delete("worker-rate-limit");
    }
    // The console terminated every idle-in-transaction session (runbook scenario 3, step 2).
    if (active.has("pool-exhaustion") && hogs.every((h) => h.gone)) {
      active.delete("pool-exhaustion");
      const dead = hogs;
      hogs = [];
      log("pool-exhaustion sessions were all terminated: scenario healed");
      void Promise.all(dead.map(closeHog));
    }
  };

  // ---- trade director + execution officer (runbook scenarios 2 and 5) ----
  const directorTick = async (): Promise<void> => {
    reconcile();
    try {
      if (signalCursor === null) await initCursor();
      const created = await q(
        sql<{ signal_id: string }[]>`
          insert into trade_directives (signal_id, symbol, side)
          select id, symbol, side from signal_outbox
          where id > ${signalCursor}::int8
          order by id
          limit 200
          returning signal_id::text`,
        "creating directives",
      );
      for (const row of created) if (BigInt(row.signal_id) > BigInt(signalCursor ?? "0")) signalCursor = row.signal_id;
      counts.directives += created.length;

      // The director only executes while its breaker is closed and trading is not halted.
      if (director.state === "closed" && director.processing) {
        const eaConnected = !active.has("ea-disconnected");
        // One statement, so a directive is never left processed without its event
        // (unless the EA is disconnected, which is the point of runbook scenario 5).
        const [r] = await q(
          sql<{ executed: number; failed: number; events: number }[]>`
            with picked as (
              select id from trade_directives
              where status = 'pending'
              order by id
              limit ${BATCH}
              for update skip locked
            ), processed as (
              update trade_directives d
              set status = case when random() < ${FAILURE_RATE} then 'failed' else 'executed' end,
                  updated_at = now()
              from picked
              where d.id = picked.id
              returning d.id, d.status
            ), events as (
              insert into execution_events (directive_id, status, error)
              select id,
                     case when status = 'failed' then 'failed' else 'filled' end,
                     case when status = 'failed'
                          then (${MT5_ERRORS}::text[])[1 + floor(random() * ${MT5_ERRORS.length})::int]
                     end
              from processed
              where ${eaConnected}::boolean
              returning id
            )
            select
              (select count(*) from processed where status = 'executed')::int as executed,
              (select count(*) from processed where status = 'failed')::int as failed,
              (select count(*) from events)::int as events`,
          "processing directives",
        );
        if (r) {
          counts.executed += r.executed;
          counts.failed += r.failed;
          counts.executionEvents += r.events;
        }
      }

      dbOk();
    } catch (err) {
      dbFailed("trade director", err);
    }
  };

  // ---- EA heartbeats (runbook scenario 5, "Prevention: implement heartbeat mechanism") ----
  const heartbeat = async (): Promise<void> => {
    if (!heartbeatsEnabled || active.has("ea-disconnected")) return;
    const url = `${opts.consoleUrl?.replace(/\/+$/, "")}/api/heartbeat`;
    const results = await Promise.allSettled(
      EA_INSTANCES.map(async (body) => {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${opts.heartbeatToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(2000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      }),
    );
    // Failures are expected (the console may be down or not implement the endpoint):
    // note them, but say so only when the situation changes.
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    counts.heartbeatsSent += results.filter((r) => r.status === "fulfilled").length;
    counts.heartbeatFailures += results.filter((r) => r.status === "rejected").length;
    if (failure) {
      const text = errorText(failure.reason);
      if (text !== hb.lastError) log(`heartbeat to ${url} failed (ignored): ${text}`);
      hb.lastError = text;
    } else {
      if (hb.lastError !== null) log("heartbeats delivered again");
      hb.lastError = null;
      hb.lastOkAt = new Date().toISOString();
    }
  };

  // ---- pool exhaustion (runbook scenario 3) ----
  const openHogs = async (): Promise<void> => {
    const opened: Hog[] = [];
    try {
      for (let i = 0; i < hogCount; i += 1) {
        const hog: Hog = { sql: null, reserved: null, gone: false };
        const hogSql = postgres(opts.tradingUrl, {
          max: 1,
          connect_timeout: Math.ceil(queryTimeoutMs / 1000),
          backoff: reconnectBackoff,
          onnotice: () => {},
          onclose: () => {
            hog.gone = true;
          },
          connection: {
            application_name: "distortsignals-api",
            // Make sure the server does not clean these up for us: that is the console's job.
            idle_in_transaction_session_timeout: 0,
            statement_timeout: queryTimeoutMs,
          },
        });
        hog.sql = hogSql;
        opened.push(hog);
        hog.reserved = await withTimeout(hogSql.reserve(), queryTimeoutMs, "reserving a connection");
        await q(hog.reserved`begin`, "begin");
        await q(hog.reserved`select 1`, "select 1");
      }
    } catch (err) {
      await Promise.all(opened.map(closeHog));
      throw err;
    }
    hogs.push(...opened);
  };

  /** Rolls back and closes one session, tolerating that the console already killed it. */
  const closeHog = async (hog: Hog): Promise<void> => {
    // Never query a session the console already terminated (runbook scenario 3, step 2):
    // postgres.js 3.4.9 throws an uncaught TypeError when a reserved connection whose
    // socket has closed is sent a query.
    if (hog.reserved && !hog.gone) {
      await withTimeout(hog.reserved`rollback`, 1000, "rollback").catch(() => {});
    }
    // (A closed connection is already unreserved; releasing it would put it back in the pool.)
    if (!hog.gone) hog.reserved?.release();
    hog.reserved = null;
    await hog.sql?.end({ timeout: 1 }).catch(() => {});
  };

  const closeHogs = async (): Promise<void> => {
    const closing = hogs;
    hogs = [];
    active.delete("pool-exhaustion");
    await Promise.all(closing.map(closeHog));
  };

  // ---- scenarios ----
  const injectors: Record<ScenarioName, { inject(): Promise<void>; heal(): Promise<void> }> = {
    "signal-generator-crash": {
      inject: async () => {},
      heal: async () => {},
    },
    "trade-director-stuck": {
      inject: async () => director.open(),
      heal: async () => {
        director.closeCircuit();
        director.resume();
      },
    },
    "pool-exhaustion": {
      inject: openHogs,
      heal: closeHogs,
    },
    "worker-rate-limit": {
      inject: async () => {
        if (!worker) {
          throw new ScenarioUnavailableError("worker-rate-limit needs a worker sim, and this world was started without one");
        }
        worker.rateLimit(opts.retryAfterSeconds ?? 30);
      },
      heal: async () => worker?.heal(),
    },
    "ea-disconnected": {
      inject: async () => {},
      heal: async () => {},
    },
  };

  // inject/heal/stop run one at a time, so two quick `npm run sim` calls cannot, say,
  // open the pool-exhaustion sessions twice.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => {});
    return next;
  };

  const inject = (name: ScenarioName): Promise<void> =>
    serially(async () => {
      if (!running) throw new Error("The world is stopped");
      reconcile();
      if (active.has(name)) return;
      await injectors[name].inject();
      active.add(name);
      log(`scenario injected: ${name}`);
    });

  const heal = (name?: ScenarioName): Promise<void> =>
    serially(async () => {
      for (const n of name ? [name] : SCENARIO_NAMES) {
        const wasActive = active.has(n);
        await injectors[n].heal();
        active.delete(n);
        if (wasActive) log(`scenario healed: ${n}`);
      }
    });

  const onLoopError = (err: unknown): void => log(`unexpected error (continuing): ${errorText(err)}`);
  const loops: Loop[] = [
    every(() => signalMs * (0.75 + Math.random() * 0.5), generateSignal, onLoopError),
    every(() => tickMs, directorTick, onLoopError),
    every(() => heartbeatMs, heartbeat, onLoopError),
  ];
  log(
    `world started: signals every ~${signalMs} ms, director tick ${tickMs} ms` +
      (heartbeatsEnabled ? `, heartbeats every ${heartbeatMs} ms` : ", heartbeats off"),
  );

  return {
    inject,
    heal,
    state: (): WorldState => {
      reconcile();
      return {
        running,
        startedAt,
        active: SCENARIO_NAMES.filter((n) => active.has(n)),
        counts: { ...counts },
        lastSignalAt,
        db: { ...db },
        director: { ...director.snapshot(), url: director.url, mode: director.mode },
        worker: worker
          ? {
              name: worker.name,
              url: worker.url,
              rateLimitedFor: worker.rateLimitedFor,
              requestCount: worker.requestCount,
            }
          : null,
        heartbeats: { ...hb },
        idleInTransaction: hogs.filter((h) => !h.gone).length,
      };
    },
    stop: async () => {
      if (!running) return;
      running = false;
      await Promise.all(loops.map((l) => l.stop()));
      await serially(closeHogs);
      await sql.end({ timeout: 1 }).catch(() => {});
      log("world stopped");
    },
  };
}
