/**
 * Configuration, validated once and failing fast with a message that names the variable.
 * Every variable is documented in .env.example. No React and no server-only marker here:
 * the launcher scripts (scripts/*.ts) and the bench read it too.
 */
import { z } from "zod";
import { parseTrustedProxies } from "./auth/client-address.ts";
import { issuerProblem, parseRoleMap } from "./auth/oidc.ts";

const bool = (fallback: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : ["1", "true", "yes", "on"].includes(v)));

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback);

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

export type WorkerProbe = { name: string; url: string };

/** WORKER_PROBES: "tick-factory=http://host/health,other=https://host/health". */
const workerProbes = z
  .string()
  .transform((raw, ctx): WorkerProbe[] => {
    const probes: WorkerProbe[] = [];
    for (const part of raw
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const eq = part.indexOf("=");
      const name = eq > 0 ? part.slice(0, eq).trim() : "";
      const url = eq > 0 ? part.slice(eq + 1).trim() : "";
      let ok = /^[A-Za-z0-9._-]{1,64}$/.test(name);
      try {
        const u = new URL(url);
        ok &&= u.protocol === "http:" || u.protocol === "https:";
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({ code: "custom", message: `"${part}" must be name=http(s)://url, e.g. tick-factory=https://tick-factory.example.workers.dev/health` });
        return z.NEVER;
      }
      if (probes.some((p) => p.name === name)) {
        ctx.addIssue({ code: "custom", message: `worker "${name}" is listed twice` });
        return z.NEVER;
      }
      probes.push({ name, url });
    }
    return probes;
  })
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
  /** The request log (lib/log.ts): JSON lines, or `pretty` for a human at a terminal. */
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  /** At SIGTERM: how long requests in flight may take to finish before their connections are cut. */
  SHUTDOWN_GRACE_SECONDS: int(10, 0, 300),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

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
  /** A dashboard's live stream (GET /api/live) ends after this (plus up to half again) and the browser reconnects. */
  LIVE_STREAM_SECONDS: int(60, 5, 3600),
  /** Runbook scenario 1: "No new signals in signal_outbox for > 5 minutes". */
  SIGNAL_SILENCE_SECONDS: int(300, 1),
  /** Runbook "Pending directives" monitoring query: older than 10 minutes. */
  STALE_DIRECTIVE_SECONDS: int(600, 1),
  /** Runbook scenario 3, step 2: idle in transaction for 10 minutes. */
  IDLE_TX_SECONDS: int(600, 1),
  /** idle_transactions turns critical at this many stale sessions (warn from 1). */
  IDLE_TX_CRITICAL_COUNT: int(5, 1),
  /** Runbook "Failed executions" (last hour): warn from EXECUTIONS_FAILED_WARN (1), critical from EXECUTIONS_FAILED_CRITICAL. */
  EXECUTIONS_FAILED_WARN: int(1, 1),
  EXECUTIONS_FAILED_CRITICAL: int(5, 1),
  /** Runbook scenario 3: connections in use as a share of max_connections. */
  DB_CONNECTIONS_WARN_PERCENT: int(80, 1, 100),
  DB_CONNECTIONS_CRITICAL_PERCENT: int(90, 1, 100),
  /** Deadline for GET {TRADE_DIRECTOR_URL}/admin/circuit (the circuit_breaker check). */
  CIRCUIT_TIMEOUT_MS: int(2000, 100, 60_000),
  /** Runbook scenario 4: workers to probe, "name=url,name=url". */
  WORKER_PROBES: workerProbes,
  /** A worker is probed at most this often (and never before its Retry-After allows). */
  WORKER_PROBE_INTERVAL_SECONDS: int(15, 1, 3600),
  WORKER_PROBE_TIMEOUT_MS: int(2000, 100, 60_000),
  /** worker_rate_limit counts the 429s received in this window. */
  WORKER_RATE_LIMIT_WINDOW_SECONDS: int(300, 1),
  /** Runbook scenario 5: bearer token the EA sends to POST /api/heartbeat. */
  EA_HEARTBEAT_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** An EA instance is fresh when its last heartbeat is younger than this. */
  EA_HEARTBEAT_STALE_SECONDS: int(60, 1),
  /** The stakeholder status page, its API and its Atom feed without sign-in (off by default). */
  STATUS_PUBLIC: bool(false),
  /** After a (re)start, a check with no data yet is pending (unknown, no incident) for this long. */
  CHECK_WARMUP_SECONDS: int(90, 0, 3600),

  RECOVERY_ACTIONS_ENABLED: bool(true),
  /** Guarded recovery actions (lib/recovery/actions/pipeline.ts). */
  PREVIEW_TTL_SECONDS: int(120, 10, 3600),
  /** Previews per user per minute (each one queries the trading DB and is stored). */
  PREVIEW_RATE_LIMIT_PER_MINUTE: int(30, 1),
  ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: int(30, 0),
  ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS: int(10, 0),
  ACTION_COOLDOWN_KILL_SESSIONS_SECONDS: int(10, 0),
  ACTION_COOLDOWN_CANCEL_QUERIES_SECONDS: int(10, 0),
  /** Runbook scenario 3, step 2 (long-running queries): active for more than this many seconds. */
  LONG_QUERY_SECONDS: int(300, 1),
  /** After the cancel, queries still running this long have their session terminated. */
  LONG_QUERY_GRACE_SECONDS: int(5, 1, 60),
  /** Executions per user per minute, across all actions. */
  ACTION_RATE_LIMIT_PER_MINUTE: int(10, 1),
  /** Two-person approval above these blast radii; unset = off. */
  APPROVAL_THRESHOLD_ROWS: z.coerce.number().int().min(1).optional(),
  APPROVAL_THRESHOLD_SESSIONS: z.coerce.number().int().min(1).optional(),
  APPROVAL_TTL_SECONDS: int(300, 30, 3600),
  /** Per attempt, for calls to the trade director's admin API (runbook scenario 2, step 3). */
  TRADE_DIRECTOR_TIMEOUT_MS: int(3000, 100, 60_000),
  /** Sudo mode: destructive actions need a sign-in this recent. */
  SUDO_MAX_AGE_MINUTES: int(15, 1),

  /** Incidents (lib/recovery/incidents): the background evaluator and the escalation clock. */
  INCIDENT_EVALUATOR_ENABLED: bool(true),
  RESOLVE_AFTER_EVALUATIONS: int(3, 1, 100),
  /** Override the runbook's Escalation Procedure (levels 2 and 3 start); unset = the runbook's, else 15 and 30. */
  ESCALATION_L2_MINUTES: z.coerce.number().positive().optional(),
  ESCALATION_L3_MINUTES: z.coerce.number().positive().optional(),
  /** Comma-separated webhook URLs notified on open, acknowledge, escalate and resolve. */
  INCIDENT_WEBHOOK_URLS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ message: "each URL must be an http(s) URL" }))),
  /** json (the console's own shape) or slack (Slack-compatible {"text": ...}). */
  INCIDENT_WEBHOOK_FORMAT: z.enum(["json", "slack"]).default("json"),
  /** Delivery attempts per notification, and the base of the exponential backoff between them. */
  INCIDENT_WEBHOOK_ATTEMPTS: int(5, 1, 20),
  INCIDENT_WEBHOOK_BACKOFF_MS: int(1000, 1, 600_000),
  /** PagerDuty Events API v2 integration key: trigger at open and escalation, acknowledge, resolve. */
  PAGERDUTY_ROUTING_KEY: z.string().min(1).optional(),
  /** Where the PagerDuty events go (default https://events.pagerduty.com/v2/enqueue; the EU service or a test receiver). */
  PAGERDUTY_EVENTS_URL: httpUrl,
  /**
   * Level 1 automated recovery (lib/recovery/automation, docs/automation.md): the policy file (YAML
   * or JSON); unset = nothing is automated. A bad file stops start-up with its line and the reason.
   */
  AUTOMATION_FILE: z.string().optional(),
  /** 0 stops automation only (RECOVERY_ACTIONS_ENABLED=0 stops it too, with every action). */
  AUTOMATION_ENABLED: bool(true),
  /** The team's Markdown runbook the console follows (default: runbook/recovery-runbook.md in the project). */
  RUNBOOK_FILE: z.string().optional(),
  /** How often the runbook file is checked for changes (stat; re-parsed only when it changed). */
  RUNBOOK_RELOAD_SECONDS: int(5, 1, 3600),
  /** JSON file with the runbook's emergency contacts (see contacts.example.json). */
  CONTACTS_FILE: z.string().optional(),
  /** The trade director's halt endpoint, for the L3 "Halt trading" action; unset = manual. */
  TRADE_DIRECTOR_HALT_URL: httpUrl,
  /** Links beside the runbook's steps (lib/recovery/runbook.ts runbookLinks): scenario 1's logs, */
  RUNBOOK_LOGS_URL: httpUrl,
  /** scenario 4's Cloudflare dashboard, */
  RUNBOOK_CLOUDFLARE_URL: httpUrl,
  /** and scenario 5's broker status page. */
  RUNBOOK_BROKER_STATUS_URL: httpUrl,

  /**
   * Sign-in throttling (lib/auth/login-throttle.ts): this many failures in the window refuse a
   * client (across accounts), and slow down (never lock) an account (across clients).
   */
  LOGIN_MAX_FAILURES: int(10, 1, 1000),
  LOGIN_WINDOW_MINUTES: int(15, 1, 24 * 60),
  /**
   * Client address (lib/auth/client-address.ts): unset, the socket's peer is the client and no
   * forwarded header is trusted. Behind proxies, set one: how many proxies are in front, or their
   * networks (comma-separated CIDRs).
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).optional(),
  TRUSTED_PROXIES: z.string().optional(),
  /** OIDC single sign-on (lib/auth/oidc.ts); SSO is on when OIDC_ISSUER is set. */
  OIDC_ISSUER: httpUrl,
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_ROLE_CLAIM: z.string().default("groups"),
  OIDC_ROLE_MAP: z.string().optional(),
  OIDC_DISPLAY_NAME: z.string().max(60).optional(),
  /** Set by `npm run demo` only: allows the demo's well-known accounts in production mode. */
  DEMO_MODE: bool(false),

  /** Audit chain anchoring (lib/recovery/audit/anchors.ts): every N seconds; 0 turns the timer off. */
  AUDIT_ANCHOR_SECONDS: int(900, 0),
  /** Append-only file of anchored heads; default <DATA_DIR>/audit-anchors.ndjson. */
  AUDIT_ANCHOR_FILE: z.string().optional(),
  /** Also POST each anchor here (fire-and-forget, with a timeout). */
  AUDIT_ANCHOR_WEBHOOK_URL: httpUrl,
  AUDIT_ANCHOR_WEBHOOK_TOKEN: z.string().optional(),
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
  if (env.DB_CONNECTIONS_CRITICAL_PERCENT < env.DB_CONNECTIONS_WARN_PERCENT) {
    problems.push("DB_CONNECTIONS_CRITICAL_PERCENT: must be at least DB_CONNECTIONS_WARN_PERCENT");
  }
  if (env.EXECUTIONS_FAILED_CRITICAL < env.EXECUTIONS_FAILED_WARN) {
    problems.push("EXECUTIONS_FAILED_CRITICAL: must be at least EXECUTIONS_FAILED_WARN");
  }
  if (env.OIDC_ISSUER) {
    const issuer = issuerProblem(env.OIDC_ISSUER);
    if (issuer) problems.push(`OIDC_ISSUER: ${issuer}`);
    for (const k of ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ROLE_MAP"] as const) {
      if (!env[k]) problems.push(`${k}: is required when OIDC_ISSUER is set`);
    }
    if (env.OIDC_ROLE_MAP) {
      try {
        parseRoleMap(env.OIDC_ROLE_MAP);
      } catch (err) {
        problems.push(`OIDC_ROLE_MAP: ${(err as Error).message} (e.g. "ops-oncall=oncall,execs=viewer")`);
      }
    }
  }
  if (env.TRUSTED_PROXY_HOPS && env.TRUSTED_PROXIES) {
    problems.push("TRUSTED_PROXIES: set either TRUSTED_PROXY_HOPS or TRUSTED_PROXIES, not both");
  } else if (env.TRUSTED_PROXIES) {
    try {
      parseTrustedProxies(env.TRUSTED_PROXIES);
    } catch (err) {
      problems.push(`TRUSTED_PROXIES: ${(err as Error).message}`);
    }
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
