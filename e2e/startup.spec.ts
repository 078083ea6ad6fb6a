/**
 * No false incident at start-up (issue 18 point 6). A console that (re)starts while no EA heartbeat
 * has reached it yet reads ea_heartbeat as pending (unknown, with `pending.until`), not critical,
 * during CHECK_WARMUP_SECONDS; after the window a silence is critical again.
 *
 * The e2e console keeps running; a second console process is started here on the same trading DB,
 * as a restart would find it: the demo's EAs are disconnected first, so no heartbeat reaches any
 * console after the second one starts. It gets a console store of its own: on the e2e console's
 * store it would be a second instance of a fleet and serve the running leader's snapshot
 * (docs/deploying.md, one evaluation for the fleet), not a restarted console's own reading. Its
 * incident evaluator is off; that a pending check opens no incident is tests/unit/warmup.test.ts
 * (the incident rules).
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { e2eEnv } from "../playwright.config";
import { ensureConsoleStore } from "../lib/db/migrate";
import { freePort, startConsole, type ConsoleServer } from "../scripts/lib/stack";
import { expect, sim, test } from "./fixtures";

const secret = (name: string) => fs.readFileSync(path.join(e2eEnv.dataDir, name), "utf8").trim();

type Check = { id: string; status: string; summary: string; pending?: { until: string } };

async function eaHeartbeat(url: string, token: string): Promise<Check> {
  const res = await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { checks: Check[] };
  return body.checks.find((c) => c.id === "ea_heartbeat")!;
}

test.afterEach(async () => {
  await sim.heal();
});

test("a restarted console reads a missing heartbeat as pending during the warm-up, then critical", async () => {
  test.setTimeout(120_000);
  const token = secret("api-token");
  // The running console has heard the demo's EAs since it started (past its own warm-up)...
  await expect.poll(async () => (await eaHeartbeat(e2eEnv.baseURL, token)).status, { timeout: 30_000 }).toBe("ok");
  await sim.inject("ea-disconnected");
  // ...so it sees the silence as it is.
  await expect.poll(async () => (await eaHeartbeat(e2eEnv.baseURL, token)).status, { timeout: 30_000 }).toBe("critical");

  const password = secret("pg.password");
  const db = (name: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${e2eEnv.pgPort}/${name}`;
  /** A console store of the restart's own, new for each start (the previous start's published snapshot would be fresh). */
  let stores = 0;
  const ownStore = async (): Promise<string> => {
    const name = `console_restart_${process.pid}_${++stores}`;
    const admin = postgres(db("postgres"), { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists ${name}`);
      await admin.unsafe(`create database ${name}`);
    } finally {
      await admin.end({ timeout: 2 });
    }
    await ensureConsoleStore(db(name));
    return db(name);
  };
  const start = async (warmupSeconds: number): Promise<ConsoleServer> =>
    startConsole({
      port: await freePort(),
      log: () => {},
      logFile: test.info().outputPath("restarted-console.log"),
      env: {
        TRADING_DATABASE_URL: db("distortsignals"),
        CONSOLE_DATABASE_URL: await ownStore(),
        AUTH_SECRET: secret("auth-secret"),
        CONSOLE_API_TOKEN: token,
        EA_HEARTBEAT_TOKEN: secret("ea-heartbeat-token"),
        EA_HEARTBEAT_STALE_SECONDS: "10",
        HEALTH_REFRESH_SECONDS: "1",
        INCIDENT_EVALUATOR_ENABLED: "0",
        INCIDENT_WEBHOOK_URLS: "",
        CHECK_WARMUP_SECONDS: String(warmupSeconds),
        // The e2e store holds the demo's users: the demo's own console runs with this too.
        DEMO_MODE: "1",
      },
    });

  const restarted = await start(120);
  try {
    const c = await eaHeartbeat(restarted.url, token);
    expect(c).toMatchObject({ status: "unknown", pending: { until: expect.any(String) } });
    expect(c.summary).toMatch(/^Starting up: waiting for the first EA heartbeat/);
  } finally {
    await restarted.stop();
  }

  // Without a warm-up window, the same restart reads the silence as critical at once.
  const noWarmup = await start(0);
  try {
    const c = await eaHeartbeat(noWarmup.url, token);
    expect(c.status).toBe("critical");
    expect(c.pending).toBeUndefined();
  } finally {
    await noWarmup.stop();
  }
});
