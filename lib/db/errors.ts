/**
 * Typed data-layer errors: logged in full, shown to users as a short, actionable message
 * with a code they can quote: the detail (hosts, SQL) stays in the server's log.
 */
export type DbErrorCode = "db.pool_timeout" | "db.timeout" | "db.unavailable" | "db.error";

export class DbError extends Error {
  constructor(
    public readonly code: DbErrorCode,
    public readonly store: "trading" | "console",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DbError";
  }

  /** What a user may see: no SQL, no host names, no credentials. */
  get publicMessage(): string {
    const where = this.store === "trading" ? "trading database" : "console store";
    switch (this.code) {
      case "db.pool_timeout":
        return `All connections to the ${where} are busy; try again in a few seconds (${this.code}).`;
      case "db.timeout":
        return `The ${where} did not answer in time (${this.code}).`;
      case "db.unavailable":
        return `The ${where} is unreachable (${this.code}).`;
      default:
        return `The ${where} returned an error (${this.code}).`;
    }
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
]);

/** True for errors raised by the driver or the server (not the caller's own errors). */
export function isDriverError(err: unknown): boolean {
  if (err instanceof DbError || err instanceof AggregateError) return true;
  const e = err as { name?: unknown; code?: unknown; errno?: unknown } | null;
  if (!e) return false;
  return e.name === "PostgresError" || typeof e.errno === "number" || (typeof e.code === "string" && CONNECTION_CODES.has(e.code));
}

/** Map a postgres.js / node error to a DbError, keeping the original as the cause. */
export function toDbError(err: unknown, store: "trading" | "console"): DbError {
  if (err instanceof DbError) return err;
  const code = (err as { code?: string } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "57014") return new DbError("db.timeout", store, `query cancelled: ${message}`, { cause: err });
  if (code && CONNECTION_CODES.has(code)) return new DbError("db.unavailable", store, message, { cause: err });
  // AggregateError from net.connect when every address refused.
  if (err instanceof AggregateError) return new DbError("db.unavailable", store, message || "connection failed", { cause: err });
  return new DbError("db.error", store, message, { cause: err });
}

/** Errors of a connection the server ended (a restart, an administrator) or that broke: the statement did not commit. */
const STALE_CONNECTION_CODES = new Set(["57P01", "57P02", "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "ECONNRESET"]);

/**
 * True when `err` (or its cause) says the connection was already gone: after the store restarts,
 * a pooled connection reports the server's goodbye on its next use. A statement that fails this way
 * was not committed, so an idempotent call may be tried once more on a fresh connection.
 */
export function isStaleConnectionError(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | null | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && STALE_CONNECTION_CODES.has(e.code)) return true;
  }
  return false;
}
