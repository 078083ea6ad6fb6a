/**
 * The console's structured log (pino): one JSON object per line, with `level` as a word and `time`
 * as ISO 8601, or a human layout with LOG_FORMAT=pretty. The entry point (scripts/console-server.ts)
 * writes one line per request: request id (the one its audit entry carries), route, status,
 * duration and actor.
 *
 * What is never logged: request and response headers (cookies, session tokens, Authorization),
 * bodies (passwords) and query strings (sign-in callbacks carry codes); the route is the path
 * alone. `redact` is a second net should a field with such a name reach a log call.
 */
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export const REDACTED_PATHS = [
  "password",
  "*.password",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "cookie",
  "*.cookie",
  "authorization",
  "*.authorization",
  "headers",
  "*.headers",
  "sessionToken",
  "*.sessionToken",
];

export function createLogger(opts: { format?: "json" | "pretty"; level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? "info",
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  if (opts.format === "pretty") {
    // Synchronous, in-process: no transport worker (the artifact bundles this file).
    return pino(options, pretty({ destination: opts.destination ?? 1, sync: true, colorize: false, translateTime: "SYS:standard" }));
  }
  return pino(options, opts.destination ?? pino.destination({ dest: 1, sync: true }));
}
