import fs from "node:fs";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

/**
 * E2E against the real thing: `npm run demo`'s launcher (embedded PostgreSQL, simulator,
 * trade-director simulator, production build) in a throwaway data dir. scripts/test.ts picks
 * free ports and the data dir and passes them in the environment; the defaults below serve a
 * direct `npx playwright test`.
 */
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = path.resolve(process.env.E2E_DATA_DIR ?? ".data/e2e");
/**
 * The console follows a copy of the shipped runbook that e2e/runbook.spec.ts edits while it runs
 * (RUNBOOK_FILE); copied afresh whenever this config loads, so a run never starts from an edit.
 */
const runbookFile = path.join(dataDir, "runbook", "recovery-runbook.md");
fs.mkdirSync(path.dirname(runbookFile), { recursive: true });
fs.copyFileSync(path.resolve("runbook/recovery-runbook.md"), runbookFile);
export const e2eEnv = {
  baseURL: `http://localhost:${port}`,
  simStateFile: path.join(dataDir, "sim.json"),
  password: process.env.E2E_DEMO_PASSWORD ?? "e2e-demo-password-123",
  dataDir,
  runbookFile,
  pgPort: Number(process.env.E2E_PG_PORT ?? 54339),
  /** The test OIDC provider (e2e/support/oidc-provider.ts), started by the SSO spec on this port. */
  oidc: {
    port: Number(process.env.E2E_OIDC_PORT ?? 3190),
    clientId: "recovery-console-e2e",
    clientSecret: "e2e-oidc-client-secret",
    roleMap: "ops-oncall=oncall,execs=viewer,audit=auditor,console-admins=admin",
  },
};

function chromiumPath(): string | undefined {
  const explicit = process.env.PLAYWRIGHT_CHROMIUM_PATH;
  if (explicit) return explicit;
  // Debian's chromium when present; otherwise Playwright's own browser (workstations).
  return fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;
}

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  // Overridable so that concurrent runs (one per working copy or engineer) do not clean each other's artifacts.
  outputDir: process.env.E2E_OUTPUT_DIR || "test-results",
  use: {
    baseURL: e2eEnv.baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: "node --conditions=react-server --import tsx sim/demo.ts",
    url: `${e2eEnv.baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 180_000,
    // SIGINT lets the launcher stop PostgreSQL; the default SIGKILL would orphan it.
    gracefulShutdown: { signal: "SIGINT", timeout: 10_000 },
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(e2eEnv.pgPort),
      SIM_STATE_FILE: e2eEnv.simStateFile,
      DEMO_PASSWORD: e2eEnv.password,
      // Compressed time so scenarios show within seconds.
      HEALTH_REFRESH_SECONDS: "1",
      // Live streams end within 7.5 s, so a spec that cuts /api/live sees the browser's reconnect fail.
      LIVE_STREAM_SECONDS: "5",
      SIGNAL_SILENCE_SECONDS: "4",
      STALE_DIRECTIVE_SECONDS: "5",
      IDLE_TX_SECONDS: "3",
      // Health panels (e2e/health.spec.ts): the sim's EAs beat every 5 s; probe the worker every
      // refresh; a 429 counts for 5 s after recovery; the sim's ~5 % failed executions stay a warning.
      EA_HEARTBEAT_STALE_SECONDS: "10",
      WORKER_PROBE_INTERVAL_SECONDS: "1",
      WORKER_RATE_LIMIT_WINDOW_SECONDS: "5",
      EXECUTIONS_FAILED_CRITICAL: "1000",
      // Single sign-on against the test provider (the SSO spec starts it on this port).
      OIDC_ISSUER: `http://localhost:${e2eEnv.oidc.port}`,
      OIDC_CLIENT_ID: e2eEnv.oidc.clientId,
      OIDC_CLIENT_SECRET: e2eEnv.oidc.clientSecret,
      OIDC_ROLE_CLAIM: "groups",
      OIDC_ROLE_MAP: e2eEnv.oidc.roleMap,
      OIDC_DISPLAY_NAME: "Test IdP",
      // Incident webhooks to a port nothing listens on, with a credential in the path as Slack's
      // have: every delivery fails fast, and the incident page must say so without the secret.
      INCIDENT_WEBHOOK_URLS: "http://127.0.0.1:9/services/T0E2E/B0E2E/e2e-webhook-secret",
      INCIDENT_WEBHOOK_ATTEMPTS: "2",
      INCIDENT_WEBHOOK_BACKOFF_MS: "50",
      // Level 1 automation (e2e/automation.spec.ts): the demo's policies, the circuit after 45 s.
      AUTOMATION_FILE: path.resolve("e2e/automation.yaml"),
      // Reset circuit's cooldown is the action's, whoever ran it: after automation's reset in
      // automation.spec a spec's own reset within 30 s would be refused. No spec tests the cooldown.
      ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: "1",
      // The runbook file the e2e edits, checked every second.
      RUNBOOK_FILE: runbookFile,
      RUNBOOK_RELOAD_SECONDS: "1",
      // Links beside the runbook's steps (scenarios 1, 4 and 5).
      RUNBOOK_LOGS_URL: "https://logs.example.com/signal-generator",
      RUNBOOK_CLOUDFLARE_URL: "https://dash.cloudflare.com/",
      RUNBOOK_BROKER_STATUS_URL: "https://status.broker.example.com/",
    },
  },
});
