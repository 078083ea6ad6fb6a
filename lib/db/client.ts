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
 * The trading store's connections are a pool of TRADING_POOL_MAX - 1 and one more, the lane (a
 * client of one connection, so at most TRADING_POOL_MAX in all). The snapshot's checks run in a
 * batch (withTradingBatch): their reads all go to the lane at once, pipelined on its one connection,
 * one round trip for all instead of a round trip each over three connections with a wait for a free
 * one. The batch holds one gate slot. When no batch holds the lane, it serves one ordinary call like
 * any pooled connection, so TRADING_POOL_MAX calls still each have a connection of their own.
 *
 * Queries are postgres.js tagged templates. drizzle-orm defines the schema (lib/db/schema),
 * generates the migrations and runs them (migrate.ts), but is not attached to these pools:
 * drizzle's postgres-js driver replaces the client's json and timestamp serializers and parsers
 * with pass-throughs, which silently breaks plain postgres.js queries on the same client (a jsonb
 * object parameter fails to bind; timestamps come back as strings). The console's queries lean
 * on features the builder does not cover (advisory locks, SKIP LOCKED, pg_stat_activity), so
 * one predictable client wins over two half-compatible ones.
 */
import { AsyncLocalStorage } from "node:async_hooks";
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

/**
 * One connection of the trading store, taken whole by a batch or by one ordinary call at a time.
 * `ok`: its last call succeeded. A batch takes the lane only then: postgres.js rejects only the
 * first of the queries queued on a connection that cannot connect and keeps the others for its next
 * attempt, so a batch on a lane that is down would leave all but one check to their deadlines. An
 * ordinary call that has the lane sets `ok` again once it answers.
 */
type Lane = { sql: Sql; busy: boolean; ok: boolean };
type Store = { name: StoreName; url: string; sql: Sql; gate: Gate; lane: Lane | null };

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
  if (name === "trading" && max >= 2) {
    return {
      name,
      url,
      sql: postgres(url, clientOptions(name, max - 1)),
      gate: new Gate(max),
      lane: { sql: postgres(url, clientOptions(name, 1)), busy: false, ok: false },
    };
  }
  return { name, url, sql: postgres(url, clientOptions(name, max)), gate: new Gate(max), lane: null };
}

/**
 * How long a batch's read may wait on the lane behind another before it also runs on the pool. The
 * monitoring reads answer in a few ms; on a busy 2-core machine a queued read can take a few hundred,
 * and each hedge is one more read (often on a new connection): 1 s fires only for a read that is
 * really stuck, and is less than the 2 s (DB_ACQUIRE_TIMEOUT_MS) a check could wait for a slot before.
 */
const LANE_HEDGE_MS = 1000;

/**
 * The batch the current call belongs to (withTradingBatch). Its first trading call takes the lane
 * and a slot if both are free at once (`held`), or finds they are not (`held` null: every call of
 * the batch then runs as usual).
 */
type Batch = { open: boolean; held?: { store: Store; releaseSlot: () => void } | null; inFlight: Set<Promise<unknown>> };
const batchScope = new AsyncLocalStorage<Batch>();

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

async function run<T>(s: Store, fn: (sql: Sql) => Promise<T>, opts: CallOptions): Promise<T> {
  const e = env();
  const timeoutMs = opts.timeoutMs ?? e.DB_STATEMENT_TIMEOUT_MS + 1000;
  const started = Date.now();
  const batch = batchScope.getStore();
  const inBatch = batch?.open === true && s.name === "trading" && takeLane(batch, s);
  let release: () => void;
  let sql = s.sql;
  if (inBatch) {
    // In a batch: on its lane, pipelined with the batch's other reads, under the batch's slot.
    sql = s.lane!.sql;
    release = () => {};
  } else {
    try {
      release = await s.gate.acquire(Math.min(e.DB_ACQUIRE_TIMEOUT_MS, timeoutMs));
    } catch (err) {
      if (err instanceof GateTimeoutError) throw new DbError("db.pool_timeout", s.name, err.message, { cause: err });
      throw err;
    }
    const free = s.lane;
    if (free && !free.busy) {
      // The lane is free: this call has it, as it would any pooled connection.
      free.busy = true;
      sql = free.sql;
      const releaseSlot = release;
      release = () => {
        free.busy = false;
        releaseSlot();
      };
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const work = fn(sql);
  const lane = s.lane;
  if (lane && sql === lane.sql) {
    // A connection-class failure or a deadline: the lane is not used by batches until a call answers on it again.
    work.then(
      () => (lane.ok = true),
      (err: unknown) => {
        if (isDriverError(err) && toDbError(err, s.name).code !== "db.error") lane.ok = false;
      },
    );
  }
  let answer: Promise<T> = work;
  let hedge: NodeJS.Timeout | undefined;
  if (inBatch) {
    batch.inFlight.add(work);
    const done = () => {
      batch.inFlight.delete(work);
      clearTimeout(hedge);
    };
    work.then(done, done);
    // Queued on the lane behind a read that does not answer (a lock wait, a slow plan): after
    // LANE_HEDGE_MS it also runs on a pooled connection of its own, and the first answer wins. So
    // one slow check delays the others by at most that much. (The oldest read still running is
    // the slow one itself: it is not sent twice.)
    answer = Promise.race([
      work,
      new Promise<T>((resolve) => {
        hedge = setTimeout(() => {
          if (batch.inFlight.values().next().value === work) return;
          // Only its answer counts: when it fails (no free slot on a busy pool, say), the lane's answer or the deadline decides.
          batchScope.exit(() => run(s, fn, { ...opts, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) })).then(resolve, () => {});
        }, LANE_HEDGE_MS);
      }),
    ]);
  }
  // The slot is held until the work settles, so the pool never queues behind our back;
  // the caller is answered at the deadline regardless.
  work.then(release, release);
  try {
    return await Promise.race([
      answer,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            if (lane && sql === lane.sql) lane.ok = false;
            reject(new DbError("db.timeout", s.name, `no answer within ${timeoutMs} ms`));
          },
          Math.max(1, timeoutMs - (Date.now() - started)),
        );
      }),
    ]);
  } catch (err) {
    // Driver and server errors become typed DbErrors; the caller's own errors pass through.
    throw isDriverError(err) ? toDbError(err, s.name) : err;
  } finally {
    clearTimeout(timer);
    clearTimeout(hedge);
  }
}

/** `run`, tried once more when an idempotent call met a connection the server had already ended. */
async function runRetryingStale<T>(s: Store, fn: (sql: Sql) => Promise<T>, opts: CallOptions): Promise<T> {
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
  return traced(s, () => runRetryingStale(s, fn, opts));
}

/**
 * Run `fn` (which makes several independent reads with withTrading, e.g. the snapshot's checks)
 * with its trading-DB calls on the lane: sent together, pipelined on one connection, under one gate
 * slot, each still under its own deadline. When the lane is not free at once (an ordinary call has
 * it, or the last batch's read is still running) or no slot is, the calls run as usual, each on a
 * pooled connection: a batch never waits for the lane. The slot and the lane are held until the
 * last of the batch's calls settles (a deadline answers the caller, not the server).
 */
export async function withTradingBatch<T>(fn: () => Promise<T>): Promise<T> {
  const batch: Batch = { open: true, inFlight: new Set() };
  try {
    return await batchScope.run(batch, fn);
  } finally {
    batch.open = false;
    const held = batch.held;
    if (held) {
      void Promise.allSettled([...batch.inFlight]).then(() => {
        held.store.lane!.busy = false;
        held.releaseSlot();
      });
    }
  }
}

/** Whether the batch has the trading store's lane: taken by its first call when the lane and a slot are free at once. */
function takeLane(batch: Batch, s: Store): boolean {
  if (batch.held === undefined) {
    const releaseSlot = s.lane && !s.lane.busy && s.lane.ok ? s.gate.tryAcquire() : null;
    if (releaseSlot) s.lane!.busy = true;
    batch.held = releaseSlot ? { store: s, releaseSlot } : null;
  }
  return batch.held?.store === s;
}

/** Run `fn` against the console store under the pool gate and a deadline. */
export function withConsole<T>(fn: (sql: Sql) => Promise<T>, opts: CallOptions = {}): Promise<T> {
  const s = store("console");
  return traced(s, () => runRetryingStale(s, fn, opts));
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
  await Promise.all(Object.values(stores).flatMap((s) => (s ? [s.sql.end({ timeout: 2 }), s.lane?.sql.end({ timeout: 2 })] : [])));
}
