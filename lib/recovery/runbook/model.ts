/**
 * The recovery runbook's shape: each scenario's symptoms with the checks that detect them, its
 * recovery steps, prevention and rollback plan. A step is a console action (linked to the guarded
 * action that implements it), a command (filled in from configuration, copyable), or a manual
 * instruction. The data itself is the team's Markdown file (runbook/recovery-runbook.md, or
 * RUNBOOK_FILE), parsed by lib/recovery/runbook/parse.ts and served by lib/recovery/runbook/source.ts.
 * No database access, so pages, tests and the report drafter share it. Which panel carries an
 * action step's button comes from the check modules (each names its actions) unless the file binds it.
 */
import { displayUrl } from "../../display-url.ts";
import { checkForAction, type CheckId } from "../health/checks/index.ts";
import type { ActionName } from "../actions/types.ts";

export type StepKind = "action" | "command" | "manual";

/** `line`: where the step is in the runbook file. `source`: the command as the file writes it. */
export type RunbookStep =
  | { kind: "action"; text: string; action: ActionName; checkId: string; command?: (c: RunbookConfig) => string; source?: string; line?: number }
  | { kind: "command"; text: string; command: (c: RunbookConfig) => string; source?: string; line?: number }
  | { kind: "manual"; text: string; line?: number };

export type ContactKey = "oncall" | "dba" | "broker";

export type Scenario = {
  number: number;
  slug: string;
  title: string;
  symptoms: string;
  /** The checks (lib/recovery/health/checks) that detect the symptoms. */
  checkIds: CheckId[];
  steps: RunbookStep[];
  prevention?: string;
  rollback?: string;
  /** The guarded action the rollback plan names, if any ("mark pending directives as 'cancelled'"). */
  rollbackAction?: ActionName;
  /** Who to call beside this scenario. */
  contacts: ContactKey[];
  /** Paragraphs of the scenario the console does not know, shown as written. */
  extra?: { label: string; text: string }[];
  /** The scenario's heading line in the runbook file. */
  line?: number;
};

/** What commands are filled in with; unknown values stay as the runbook's placeholders. */
export type RunbookConfig = {
  tradeDirectorUrl?: string;
  /** No user name: userinfo is never printed (issue 12, point 9); the command keeps `-U [user]`. */
  tradingDb?: { host: string; port: string; database: string };
};

export const postIncidentChecklist = [
  { key: "report", text: "Write incident report" },
  { key: "runbook", text: "Update runbook with lessons learned" },
  { key: "adr", text: "Add ADR if architectural changes needed" },
  { key: "postmortem", text: "Schedule blameless postmortem" },
] as const;

export function scenarioByNumber(scenarios: readonly Scenario[], n: number): Scenario | undefined {
  return scenarios.find((s) => s.number === n);
}

export function scenarioForCheck(scenarios: readonly Scenario[], checkId: string): Scenario | undefined {
  return scenarios.find((s) => (s.checkIds as readonly string[]).includes(checkId));
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

/** A link beside a scenario's steps (issue 18, point 11). */
export type RunbookLink = { label: string; href: string };

/**
 * The links each scenario's steps need, where configured: the logs for scenario 1 (signal
 * generator crash), the Cloudflare dashboard for scenario 4 (rate limiting), the broker's status
 * page for scenario 5 (EA disconnected).
 */
export function runbookLinks(opts: { logsUrl?: string; cloudflareUrl?: string; brokerStatusUrl?: string }): Record<number, RunbookLink[]> {
  const links: Record<number, RunbookLink[]> = {};
  if (opts.logsUrl) links[1] = [{ label: "Logs", href: opts.logsUrl }];
  if (opts.cloudflareUrl) links[4] = [{ label: "Cloudflare dashboard", href: opts.cloudflareUrl }];
  if (opts.brokerStatusUrl) links[5] = [{ label: "Broker status", href: opts.brokerStatusUrl }];
  return links;
}

/** Steps as plain data (functions resolved), for pages and reports. */
export type RenderedStep = { kind: StepKind; text: string; command?: string; action?: ActionName; checkId?: CheckId };

export function renderSteps(s: Scenario, config: RunbookConfig): RenderedStep[] {
  return s.steps.map((step) =>
    step.kind === "command"
      ? { kind: "command", text: step.text, command: step.command(config) }
      : step.kind === "action"
        ? {
            kind: "action",
            text: step.text,
            action: step.action,
            checkId: (step.checkId as CheckId | "") || checkForAction(step.action) || undefined,
            ...(step.command ? { command: step.command(config) } : {}),
          }
        : { kind: "manual", text: step.text },
  );
}
