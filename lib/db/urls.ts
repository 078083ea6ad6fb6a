/**
 * Where the two stores live. Shared by the launcher scripts and the server, so no
 * server-only marker.
 */
import { ConfigError, type Env } from "../env.ts";

export type StoreUrls = {
  trading: string;
  console: string;
  /** True when the console tables share the trading server (schema `console`). */
  consoleShared: boolean;
};

export function resolveStoreUrls(e: Pick<Env, "TRADING_DATABASE_URL" | "CONSOLE_DATABASE_URL">): StoreUrls {
  if (!e.TRADING_DATABASE_URL) {
    throw new ConfigError([
      "TRADING_DATABASE_URL: is not set. Start the console with `npm start` (which runs an embedded PostgreSQL when no URL is set) or set it to your DistortSignals database.",
    ]);
  }
  return {
    trading: e.TRADING_DATABASE_URL,
    console: e.CONSOLE_DATABASE_URL ?? e.TRADING_DATABASE_URL,
    consoleShared: !e.CONSOLE_DATABASE_URL,
  };
}

/** A URL with its password masked, for logs and printed banners. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}
