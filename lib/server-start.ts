/**
 * Node server start-up: validate the configuration and fail fast with a message that names
 * the variable, rather than a stack trace on the first request.
 */
import { ConfigError, parseEnv, type Env } from "./env.ts";
import { onShutdown } from "./shutdown.ts";

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
  await loadAutomation(e);
  await startIncidents();
  flushRefusalsOnShutdown();
}

/**
 * At shutdown (lib/shutdown.ts, run by scripts/console-server.ts once the requests in flight have
 * finished), write the summaries of the refusal windows still open (lib/recovery/audit/fold.ts), so
 * their counts reach the audit.
 */
function flushRefusalsOnShutdown(): void {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  onShutdown("audit refusal summaries", () => import("./recovery/audit/fold.ts").then((m) => m.flushRefusals()));
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
  const evaluator = startIncidentEvaluator();
  // Give up incident leadership at shutdown, so another instance takes over at once (its next tick)
  // instead of when this process's session times out.
  if (evaluator) onShutdown("incident leadership", () => evaluator.stop());
}

/**
 * Level 1 automated recovery: read AUTOMATION_FILE now. A bad file stops start-up with its line and
 * the reason (lib/recovery/automation/policy.ts); no file, nothing is automated. Not during `next build`.
 */
async function loadAutomation(e: Env): Promise<void> {
  if (process.env.NEXT_PHASE === "phase-production-build" || !e.AUTOMATION_FILE) return;
  const [{ currentPolicies }, { PolicyFileError }] = await Promise.all([import("./recovery/automation/load.ts"), import("./recovery/automation/policy.ts")]);
  try {
    const policies = currentPolicies();
    const state = !e.RECOVERY_ACTIONS_ENABLED ? " (stopped: RECOVERY_ACTIONS_ENABLED=0)" : !e.AUTOMATION_ENABLED ? " (stopped: AUTOMATION_ENABLED=0)" : "";
    console.log(
      `[automation] ${policies.length} ${policies.length === 1 ? "policy" : "policies"} from ${e.AUTOMATION_FILE}${state}: ${policies.map((p) => `${p.name} (${p.mode})`).join(", ") || "none"}`,
    );
  } catch (err) {
    if (err instanceof PolicyFileError) {
      console.error(`\n[recovery-console] The automation policy file is not valid: ${err.message}\n\nSee docs/automation.md for the schema.\n`);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Anchor the audit chain's head outside the database every AUDIT_ANCHOR_SECONDS (issue 6,
 * lib/recovery/audit/anchors.ts). Idempotent, unref'd timers; not during `next build`.
 */
async function startAuditAnchoring(e: Env): Promise<void> {
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { startAnchoring } = await import("./recovery/audit/anchors.ts");
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
