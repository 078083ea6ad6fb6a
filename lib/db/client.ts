import "server-only";
/**
 * The one database client module: two pools, their timeouts, and the deadline helpers.
 *
 * - trading: the DistortSignals database the console watches. At most 3 connections,
 *   application_name=recovery-console, so DBAs can see (and the kill action can exclude) us.
 * - console: the console's own store (users, audit, incidents), kept apart so that logins
 *   and the audit trail keep working while the trading DB is in trouble.
 *
 * Every session gets statement_timeout, lock_timeout and idle_in_transaction_session_timeout
 * as startup parameters; every call also has a client-side deadline, and waiting for a free
 * connection has its own deadline (postgres.js has none, see gate.ts).
 *
 * Queries are postgres.js tagged templates. drizzle-orm defines the schema (lib/db/schema),
 * generates the migrations and runs them (migrate.ts), but is not attached to these pools:
 * drizzle's postgres-js driver replaces the client's json and timestamp serializers and parsers
 * with pass-throughs, which silently breaks plain postgres.js queries on the same client (a jsonb
 * object parameter fails to bind; timestamps come back as strings). The console's queries lean
 * on features the builder does not cover (advisory locks, SKIP LOCKED, pg_stat_activity), so
 * one predictable client wins over two half-compatible ones.
 */
import { SpanKind } from "@opentelemetry/api";
import postgres from "postgres";
import { env } from "../env.ts";
import { activeCheckId, withSpan } from "../trace.ts";
import { DbError, isDriverError, isStaleConnectionError, toDbError } from "./errors.ts";
import { Gate, GateTimeoutError } from "./gate.ts";
import { resolveStoreUrls } from "./urls.ts";

export type Sql = postgres.Sql;
export type StoreName = "trading" | "console";

export const TRADING_APPLICATION_NAME = "recovery-console";
export const CONSOLE_APPLICATION_NAME = "recovery-console-store";

type Store = { name: StoreName; url: string; sql: Sql; gate: Gate };

function clientOptions(name: StoreName, max: number): postgres.Options<Record<string, postgres.PostgresType>> {
  const e = env();
  return {
    max,
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    connect_timeout: e.DB_CONNECT_TIMEOUT_S,
    // Reconnect backoff capped at 2 s (0.2, 0.4, 0.8, 1.6, 2, 2, …). postgres.js's default grows to
    // 20 s after a few failed connects, so the panels would stay unknown up to 20 s after the
    // database came back; the gate keeps attempts to at most TRADING_POOL_MAX at a time anyway.
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 2),
    onnotice: () => {},
    connection: {
      application_name: name === "trading" ? TRADING_APPLICATION_NAME : CONSOLE_APPLICATION_NAME,
      statement_timeout: e.DB_STATEMENT_TIMEOUT_MS,
      lock_timeout: e.DB_LOCK_TIMEOUT_MS,
      idle_in_transaction_session_timeout: e.DB_IDLE_TX_TIMEOUT_MS,
    },
  };
}

function createStore(name: StoreName, url: string, max: number): Store {
  return { name, url, sql: postgres(url, clientOptions(name, max)), gate: new Gate(max) };
}

// HMR-safe singletons: dev reloads must not leak pools.
const globalStores = globalThis as unknown as { __rcStores?: Partial<Record<StoreName, Store>>; __rcWarned?: boolean };

function store(name: StoreName): Store {
  globalStores.__rcStores ??= {};
  const existing = globalStores.__rcStores[name];
  if (existing) return existing;
  const e = env();
  const urls = resolveStoreUrls(e);
  if (name === "console" && urls.consoleShared && !globalStores.__rcWarned) {
    globalStores.__rcWarned = true;
    console.warn(
      "[recovery-console] CONSOLE_DATABASE_URL is not set: the console tables live in schema `console` on the trading server. " +
        "A separate store is recommended so that logins and the audit trail survive trading-DB trouble.",
    );
  }
  const created = name === "trading" ? createStore("trading", urls.trading, e.TRADING_POOL_MAX) : createStore("console", urls.console, e.CONSOLE_POOL_MAX);
  globalStores.__rcStores[name] = created;
  return created;
}

export type CallOptions = {
  /** Client-side deadline for the whole call, including the wait for a connection. */
  timeoutMs?: number;
  /**
   * The call may run twice (a read, or a write that is a no-op the second time): when it fails on
   * a connection the server had already ended (isStaleConnectionError), it is tried once more.
   */
  idempotent?: boolean;
};

async function run<T>(s: Store, fn: () => Promise<T>, opts: CallOptions): Promise<T> {
  const e = env();
  const timeoutMs = opts.timeoutMs ?? e.DB_STATEMENT_TIMEOUT_MS + 1000;
  const started = Date.now();
  let release: () => void;
  try {
    release = await s.gate.acquire(Math.min(e.DB_ACQUIRE_TIMEOUT_MS, timeoutMs));
  } catch (err) {
    if (err instanceof GateTimeoutError) throw new DbError("db.pool_timeout", s.name, err.message, { cause: err });
    throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  const work = fn();
  // The slot is held until the work settles, so the pool never queues behind our back;
  // the caller is answered at the deadline regardless.
  work.then(release, release);
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DbError("db.timeout", s.name, `no answer within ${timeoutMs} ms`)),
          Math.max(1, timeoutMs - (Date.now() - started)),
        );
      }),
    ]);
  } catch (err) {
    // Driver and server errors become typed DbErrors; the caller's own errors pass through.
    throw isDriverError(err) ? toDbError(err, s.name) : err;
  } finally {
    clearTimeout(timer);
  }
}

/** `run`, tried once more when an idempotent call met a connection the server had already ended. */
async function runRetryingStale<T>(s: Store, fn: () => Promise<T>, opts: CallOptions): Promise<T> {
  try {
    return await run(s, fn, opts);
  } catch (err) {
    if (!opts.idempotent || !isStaleConnectionError(err)) throw err;
    return run(s, fn, opts);
  }
}

/** Run `fn` against the trading DB under the pool gate and a deadline. */
export function withTrading<T>(fn: (sql: Sql) => Promise<T>, opts: CallOptions = {}): Promise<T> {
  const s = store("trading");
  return traced(s, () => runRetryingStale(s, () => fn(s.sql), opts));
}

/** Run `fn` against the console store under the pool gate and a deadline. */
export function withConsole<T>(fn: (sql: Sql) => Promise<T>, opts: CallOptions = {}): Promise<T> {
  const s = store("console");
  return traced(s, () => runRetryingStale(s, () => fn(s.sql), opts));
}

/**
 * One span per call (lib/trace.ts), the wait for a connection included: the store, and the health
 * check it runs for. Never the statement's text or parameters.
 */
function traced<T>(s: Store, call: () => Promise<T>): Promise<T> {
  const checkId = activeCheckId();
  return withSpan(`db ${s.name}`, { "db.system.name": "postgresql", "recovery.store": s.name, ...(checkId ? { "recovery.check.id": checkId } : {}) }, call, {
    kind: SpanKind.CLIENT,
  });
}

/**
 * One console-store session held for a while, for what lives as long as a session does: a
 * session-level advisory lock (incident leadership, one run at a time per action).
 *
 * It is a client of its own with one connection, not a connection reserved from the pool:
 * postgres.js 3.4.9 mishandles a reserved connection whose server side ended (a store restart,
 * pg_terminate_backend): the next statement on it never settles (its write hits a null socket,
 * thrown as an uncaught exception), and release() hands the dead connection back to the pool as
 * open, where it swallows later queries until their deadline
 * (https://github.com/porsager/postgres/issues/1199, #1208). That is how, right after the store came
 * back, the first action could be refused as "the console store cannot be reached".
 *
 * A held session never reconnects behind its holder's back (the lock would be silently gone):
 * once its connection closed or a statement failed on the connection, it is `lost`, every
 * further statement fails at once, and close() ends the client. It occupies one gate slot, like
 * any other use of the store, until closed.
 */
export type HeldSession = {
  /** Run statements on the session, under a deadline; throws DbError, and is then lost, when the session is gone. */
  run<T>(fn: (sql: Sql) => Promise<T>, opts?: { timeoutMs?: number }): Promise<T>;
  /** True once the session ended (its locks with it) or can no longer be trusted. */
  readonly lost: boolean;
  /**
   * The session's own client, for a read that streams (a cursor) and so cannot be one run() call.
   * Check `lost` first: after the connection ended, a statement sent here would silently open a
   * new session, without the old one's transaction or locks.
   */
  readonly sql: Sql;
  /** End the session (which also releases its session-level locks) and free its gate slot. */
  close(): Promise<void>;
};

export async function holdConsoleSession(opts: { acquireTimeoutMs?: number } = {}): Promise<HeldSession> {
  const s = store("console");
  const e = env();
  let releaseSlot: () => void;
  try {
    releaseSlot = await s.gate.acquire(opts.acquireTimeoutMs ?? e.DB_ACQUIRE_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof GateTimeoutError) throw new DbError("db.pool_timeout", "console", err.message, { cause: err });
    throw err;
  }
  let lost = false;
  let closing: Promise<void> | null = null;
  // One connection, opened by the first statement; when it closes the session is over for good.
  const sql = postgres(s.url, { ...clientOptions("console", 1), idle_timeout: 0, max_lifetime: null, onclose: () => (lost = true) });
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      lost = true;
      await sql.end({ timeout: 1 }).catch(() => {});
      releaseSlot();
    })());
  return {
    get lost() {
      return lost;
    },
    sql,
    close,
    async run<T>(fn: (sql: Sql) => Promise<T>, o: { timeoutMs?: number } = {}): Promise<T> {
      if (lost) throw new DbError("db.unavailable", "console", "the held console-store session has ended");
      const timeoutMs = o.timeoutMs ?? e.DB_STATEMENT_TIMEOUT_MS + 1000;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          fn(sql),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new DbError("db.timeout", "console", `no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        const failure = isDriverError(err) ? toDbError(err, "console") : err;
        // The connection failed or never answered: the session (and its locks) can no longer be trusted.
        if (failure instanceof DbError && (failure.code === "db.unavailable" || failure.code === "db.timeout")) void close();
        throw failure;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** For tests and shutdown. */
export async function closeStores(): Promise<void> {
  const stores = globalStores.__rcStores ?? {};
  globalStores.__rcStores = {};
  await Promise.all(Object.values(stores).map((s) => s?.sql.end({ timeout: 2 })));
}
