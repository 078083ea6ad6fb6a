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
export const e2eEnv = {
  baseURL: `http://localhost:${port}`,
  simStateFile: path.join(dataDir, "sim.json"),
  password: process.env.E2E_DEMO_PASSWORD ?? "e2e-demo-password-123",
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
  outputDir: "test-results",
  use: {
    baseURL: e2eEnv.baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromiumPath(),
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
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
      EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54339",
      SIM_STATE_FILE: e2eEnv.simStateFile,
      DEMO_PASSWORD: e2eEnv.password,
      // Compressed time so scenarios show within seconds.
      HEALTH_REFRESH_SECONDS: "1",
      SIGNAL_SILENCE_SECONDS: "4",
      STALE_DIRECTIVE_SECONDS: "5",
      IDLE_TX_SECONDS: "3",
    },
  },
});
