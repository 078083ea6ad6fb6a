/**
 * The recovery runbook (shared/runbook/recovery-runbook.md, "Last Updated 2026-01-03") as typed
 * data: each scenario's symptoms with the checks that detect them, its recovery steps, prevention
 * and rollback plan. A step is a console action (linked to the guarded action that implements it),
 * a command (filled in from configuration, copyable), or a manual instruction.
 * No database access, so pages, tests and the report drafter share it. Which panel carries an
 * action step's button comes from the check modules (each names its actions), not from here.
 */
import { displayUrl } from "../display-url.ts";
import { checkForAction, type CheckId } from "./checks/index.ts";
import type { ActionName } from "./guarded-action.ts";

export type StepKind = "action" | "command" | "manual";

export type RunbookStep =
  | { kind: "action"; text: string; action: ActionName }
  | { kind: "command"; text: string; command: (c: RunbookConfig) => string }
  | { kind: "manual"; text: string };

export type ContactKey = "oncall" | "dba" | "broker";

export type Scenario = {
  number: 1 | 2 | 3 | 4 | 5;
  slug: string;
  title: string;
  symptoms: string;
  /** The checks (lib/recovery/checks) that detect the symptoms. */
  checkIds: CheckId[];
  steps: RunbookStep[];
  prevention?: string;
  rollback?: string;
  /** Who to call beside this scenario. */
  contacts: ContactKey[];
};

/** What commands are filled in with; unknown values stay as the runbook's placeholders. */
export type RunbookConfig = {
  tradeDirectorUrl?: string;
  /** No user name: userinfo is never printed (issue 12, point 9); the command keeps `-U [user]`. */
  tradingDb?: { host: string; port: string; database: string };
};

const td = (c: RunbookConfig) => (c.tradeDirectorUrl ?? "http://trade-director").replace(/\/+$/, "");
const psql = (c: RunbookConfig, sql: string) => {
  const d = c.tradingDb;
  const conn = d ? `-h ${d.host} -p ${d.port} -U [user] -d ${d.database}` : "-h [host] -U [user] -d distortsignals";
  return `psql ${conn} -c "${sql.replace(/"/g, '\\"')}"`;
};

export const scenarios: Scenario[] = [
  {
    number: 1,
    slug: "signal-generator-crash",
    title: "Signal Generator Crash",
    symptoms: "No new signals in signal_outbox table for > 5 minutes",
    checkIds: ["signals_recent"],
    steps: [
      { kind: "command", text: "Check logs", command: () => "tail -f logs/signal-generator.log" },
      { kind: "command", text: "Verify database connectivity", command: (c) => psql(c, "SELECT 1") },
      { kind: "command", text: "Restart service (or the container equivalent)", command: () => "systemctl restart signal-generator" },
      { kind: "manual", text: "Verify recovery: check for new entries in signal_outbox (the Recent signals panel turns green)" },
    ],
    prevention: "Implement health check endpoint, set up monitoring alerts",
    contacts: ["oncall"],
  },
  {
    number: 2,
    slug: "trade-director-not-processing",
    title: "Trade Director Not Processing Directives",
    symptoms: "Stale entries in trade_directives table with status = 'pending'",
    checkIds: ["directives_stale_pending", "circuit_breaker"],
    steps: [
      { kind: "command", text: "Check circuit breaker status", command: (c) => `curl -s ${td(c)}/admin/circuit` },
      { kind: "manual", text: "Verify MT5 connection: check execution_officer polling logs" },
      { kind: "action", text: "Reset circuit breaker", action: "circuit.reset" },
      { kind: "action", text: "Manual intervention if needed: update directive status (mark stale pending directives cancelled)", action: "directives.cancel_stale" },
    ],
    rollback: "Mark pending directives as 'cancelled' if unrecoverable",
    contacts: ["oncall"],
  },
  {
    number: 3,
    slug: "db-pool-exhaustion",
    title: "Database Connection Pool Exhaustion",
    symptoms: "Connection timeout errors, 500 responses from APIs",
    checkIds: ["db_connections", "idle_transactions"],
    steps: [
      { kind: "command", text: "Check active connections", command: (c) => psql(c, "SELECT count(*), state FROM pg_stat_activity GROUP BY state;") },
      { kind: "action", text: "Kill long-running idle transactions if safe", action: "sessions.terminate_idle" },
      { kind: "manual", text: "Increase pool size temporarily in config" },
      { kind: "manual", text: "Restart affected services" },
    ],
    contacts: ["oncall", "dba"],
  },
  {
    number: 4,
    slug: "worker-rate-limiting",
    title: "Cloudflare Worker Rate Limiting",
    symptoms: "429 errors from tick-factory or other workers",
    checkIds: ["worker_rate_limit"],
    steps: [
      { kind: "manual", text: "Check Cloudflare dashboard for rate limit metrics" },
      { kind: "manual", text: "Implement exponential backoff in calling service" },
      { kind: "manual", text: "Scale up Cloudflare plan if consistently hitting limits" },
      { kind: "manual", text: "Consider batching requests" },
    ],
    contacts: ["oncall"],
  },
  {
    number: 5,
    slug: "mt5-ea-disconnected",
    title: "MT5 EA Disconnected",
    symptoms: "No execution confirmations, directive timeouts",
    checkIds: ["ea_heartbeat", "executions_failed"],
    steps: [
      { kind: "manual", text: "Check MT5 terminal connectivity" },
      { kind: "manual", text: "Verify EA is running: check the \"Experts\" tab in MT5" },
      { kind: "manual", text: "Restart EA: disable and re-enable in the terminal" },
      { kind: "manual", text: "Check broker server status" },
      { kind: "manual", text: "Failover to backup EA instance if configured" },
    ],
    prevention: "Implement heartbeat mechanism, dual EA setup",
    contacts: ["oncall", "broker"],
  },
];

export const postIncidentChecklist = [
  { key: "report", text: "Write incident report" },
  { key: "runbook", text: "Update runbook with lessons learned" },
  { key: "adr", text: "Add ADR if architectural changes needed" },
  { key: "postmortem", text: "Schedule blameless postmortem" },
] as const;

export function scenarioByNumber(n: number): Scenario | undefined {
  return scenarios.find((s) => s.number === n);
}

/**
 * Runbook config from a trading DB URL and the trade director's URL, as every role may read them:
 * the commands are printed on the runbook, the dashboard and incident pages, so no credentials,
 * userinfo, query string or fragment of either URL (displayUrl).
 */
export function runbookConfig(opts: { tradingDatabaseUrl?: string; tradeDirectorUrl?: string }): RunbookConfig {
  let tradingDb: RunbookConfig["tradingDb"];
  if (opts.tradingDatabaseUrl) {
    try {
      const u = new URL(opts.tradingDatabaseUrl);
      tradingDb = { host: u.hostname, port: u.port || "5432", database: u.pathname.slice(1) };
    } catch {
      tradingDb = undefined;
    }
  }
  const tradeDirectorUrl = opts.tradeDirectorUrl ? (displayUrl(opts.tradeDirectorUrl) ?? undefined) : undefined;
  return { tradeDirectorUrl, tradingDb };
}

/** Steps as plain data (functions resolved), for pages and reports. */
export type RenderedStep = { kind: StepKind; text: string; command?: string; action?: ActionName; checkId?: CheckId };

export function renderSteps(s: Scenario, config: RunbookConfig): RenderedStep[] {
  return s.steps.map((step) =>
    step.kind === "command"
      ? { kind: "command", text: step.text, command: step.command(config) }
      : step.kind === "action"
        ? { kind: "action", text: step.text, action: step.action, checkId: checkForAction(step.action) ?? undefined }
        : { kind: "manual", text: step.text },
  );
}
