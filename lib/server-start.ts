/**
 * Node server start-up: validate the configuration and fail fast with a message that names
 * the variable, rather than a stack trace on the first request.
 */
import { ConfigError, parseEnv, type Env } from "./env.ts";

export async function startServer(): Promise<void> {
  let e: Env;
  try {
    e = parseEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n[recovery-console] ${err.message}\n\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
  if (e.NODE_ENV === "production" && !e.DEMO_MODE) await refuseDemoCredentials(e);
  await startAuditAnchoring(e);
  await startRunbook();
  await startIncidents();
  flushRefusalsOnShutdown();
}

/**
 * At SIGTERM or SIGINT, write the summaries of the refusal windows still open
 * (lib/recovery/audit-fold.ts), so their counts reach the audit. Best effort: Next's own handler
 * exits once its server has closed, and the writes race that. Only added beside a handler that
 * already ends the process (Next's own, registered before this runs): on its own, a listener here
 * would keep the signal from ending the process.
 */
function flushRefusalsOnShutdown(): void {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const flush = () => {
    void import("./recovery/audit-fold.ts").then((m) => m.flushRefusals()).catch((err) => console.error("[audit] could not write the refusal summaries at shutdown:", err));
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    if (process.listenerCount(signal) > 0) process.once(signal, flush);
  }
}

/**
 * Load the runbook file (RUNBOOK_FILE) now, record its version, and check it for changes every
 * RUNBOOK_RELOAD_SECONDS (lib/recovery/runbook/source.ts). Not during `next build`.
 */
async function startRunbook(): Promise<void> {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startRunbookWatch } = await import("./recovery/runbook/source.ts");
  startRunbookWatch();
}

/**
 * The background evaluator (lib/recovery/incidents/evaluator.ts): checks are evaluated every
 * interval with no browser open, and one instance records incidents. Not during `next build`.
 */
async function startIncidents(): Promise<void> {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startIncidentEvaluator } = await import("./recovery/incidents/evaluator.ts");
  startIncidentEvaluator();
}

/**
 * Anchor the audit chain's head outside the database every AUDIT_ANCHOR_SECONDS (issue 6,
 * lib/recovery/audit-anchor.ts). Idempotent, unref'd timers; not during `next build`.
 */
async function startAuditAnchoring(e: Env): Promise<void> {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startAnchoring } = await import("./recovery/audit-anchor.ts");
  startAnchoring(e);
}

/** Production must not run with the demo's accounts or password (lib/auth/demo-guard.ts). */
async function refuseDemoCredentials(e: Env): Promise<void> {
  const url = e.CONSOLE_DATABASE_URL ?? e.TRADING_DATABASE_URL;
  if (!url) return;
  const { findDemoCredentials } = await import("./auth/demo-guard.ts");
  let problems: string[];
  try {
    problems = await findDemoCredentials({ url, demoPassword: process.env.DEMO_PASSWORD || undefined });
  } catch (err) {
    // The store may be down during the very incident the console is for: start, and say so.
    console.warn(`[recovery-console] could not check for demo credentials at start-up: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (problems.length) {
    console.error(
      `\n[recovery-console] Refusing to start in production with demo credentials:\n${problems.map((p) => `  - ${p}`).join("\n")}\n\n` +
        "The demo (npm run demo) sets DEMO_MODE=1; a real deployment must not.\n",
    );
    process.exit(1);
  }
}
