/**
 * Configuration, validated once and failing fast with a message that names the variable.
 * Every variable is documented in .env.example. No React and no server-only marker here:
 * the launcher scripts and next.config.ts read it too.
 */
import { z } from "zod";

const bool = (fallback: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : ["1", "true", "yes", "on"].includes(v)));

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const pgUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "" && u.pathname.length > 1;
    } catch {
      return false;
    }
  }, "must be a URL like postgres://user:password@host:5432/database")
  .optional();

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL")
  .optional();

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(3000, 1, 65535),
  /** Public origin of the console, e.g. https://recovery.example.com. */
  CONSOLE_PUBLIC_URL: httpUrl,

  TRADING_DATABASE_URL: pgUrl,
  CONSOLE_DATABASE_URL: pgUrl,
  EMBEDDED_PG_PORT: int(54329, 1, 65535),
  DATA_DIR: z.string().default(".data"),

  /** Trading pool: small on purpose, the console must never be the thing that exhausts it. */
  TRADING_POOL_MAX: int(3, 1, 3),
  CONSOLE_POOL_MAX: int(5, 1, 20),
  DB_STATEMENT_TIMEOUT_MS: int(5000, 100),
  DB_LOCK_TIMEOUT_MS: int(2000, 50),
  DB_IDLE_TX_TIMEOUT_MS: int(15000, 1000),
  DB_ACQUIRE_TIMEOUT_MS: int(2000, 50),
  DB_CONNECT_TIMEOUT_S: int(3, 1, 60),

  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (generate one with: openssl rand -base64 32)").optional(),
  SESSION_IDLE_MINUTES: int(30, 1),
  SESSION_MAX_HOURS: int(12, 1),

  TRADE_DIRECTOR_URL: httpUrl,
  TRADE_DIRECTOR_TOKEN: z.string().optional(),
  CONSOLE_API_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),

  HEALTH_REFRESH_SECONDS: int(5, 1, 300),
  /** Runbook scenario 1: "No new signals in signal_outbox for > 5 minutes". */
  SIGNAL_SILENCE_SECONDS: int(300, 1),
  /** Runbook "Pending directives" monitoring query: older than 10 minutes. */
  STALE_DIRECTIVE_SECONDS: int(600, 1),
  /** Runbook scenario 3, step 2: idle in transaction for 10 minutes. */
  IDLE_TX_SECONDS: int(600, 1),

  RECOVERY_ACTIONS_ENABLED: bool(true),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse an environment; throws ConfigError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset, as shells and .env files commonly produce them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const env = result.data;
  const problems: string[] = [];
  if (env.NODE_ENV === "production" && !env.AUTH_SECRET) {
    problems.push("AUTH_SECRET: is required in production (generate one with: openssl rand -base64 32)");
  }
  if (env.CONSOLE_DATABASE_URL && !env.TRADING_DATABASE_URL) {
    problems.push("TRADING_DATABASE_URL: must be set when CONSOLE_DATABASE_URL is set");
  }
  if (problems.length) throw new ConfigError(problems);
  return env;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Re-read process.env (tests, after changing a variable). */
export function reloadEnv(): Env {
  cached = undefined;
  return env();
}
