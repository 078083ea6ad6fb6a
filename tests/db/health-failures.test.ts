/**
 * Partial failure, with the real monitor and all eight real checks: one broken dependency makes
 * its checks unknown, never blanks or delays the others, and the console recovers by itself.
 *
 * "The DB is down" is a real TCP port: first closed (connection refused), then a proxy to the
 * test server opens on it, as a database coming back would.
 */
import net from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { upsertHeartbeat } from "@/lib/db/queries/heartbeats";
import { healthMonitor, resetHealthMonitor, type Snapshot } from "@/lib/recovery/health/snapshot";
import { freePort } from "@/scripts/lib/stack";
import { startTradeDirector, type TradeDirectorSim } from "@/sim/trade-director";
import { startWorkerSim, type WorkerSim } from "@/sim/worker";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

const DB_CHECKS = ["signals_recent", "directives_stale_pending", "executions_failed", "db_connections", "idle_transactions"];
let sql: Sql;
let director: TradeDirectorSim;
let worker: WorkerSim;

const byId = (s: Snapshot) => Object.fromEntries(s.checks.map((c) => [c.id, c]));

/** A TCP proxy to the test PostgreSQL on `port`, as "the database is back". */
function startProxy(port: number, target: URL): Promise<net.Server & { sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(Object.assign(server, { sockets }))));
}

beforeAll(async () => {
  sql = connect("trading");
  director = await startTradeDirector({ port: 0 });
  worker = await startWorkerSim({ port: 0, name: "tick-factory" });
});
beforeEach(async () => {
  await resetTrading(sql);
  director.mode = "normal";
  director.closeCircuit();
  worker.heal();
  await withEnv({
    TRADE_DIRECTOR_URL: director.url,
    WORKER_PROBES: `tick-factory=${worker.url}/health`,
    WORKER_PROBE_INTERVAL_SECONDS: "1",
    EA_HEARTBEAT_TOKEN: "ea-heartbeat-token-for-tests",
    HEALTH_REFRESH_SECONDS: "1",
    CIRCUIT_TIMEOUT_MS: "400",
  });
  resetHealthMonitor();
});
afterEach(async () => {
  await closeStores();
  await withEnv({ TRADING_DATABASE_URL: inject("tradingUrl") });
});
afterAll(async () => {
  resetHealthMonitor();
  await sql.end();
  await director.close();
  await worker.close();
  await withEnv({
    TRADE_DIRECTOR_URL: undefined,
    WORKER_PROBES: undefined,
    WORKER_PROBE_INTERVAL_SECONDS: undefined,
    EA_HEARTBEAT_TOKEN: undefined,
    HEALTH_REFRESH_SECONDS: undefined,
    CIRCUIT_TIMEOUT_MS: undefined,
  });
});

describe("the trading DB is down", () => {
  it("makes the DB checks unknown while the HTTP checks and the heartbeats keep working, and recovers by itself", async () => {
    const target = new URL(inject("tradingUrl"));
    const port = await freePort();
    const down = new URL(target);
    down.hostname = "127.0.0.1";
    down.port = String(port);
    await closeStores();
    await withEnv({ TRADING_DATABASE_URL: down.toString() });
    await upsertHeartbeat({ instance: "ea-primary", role: "primary", version: null, remoteAddr: null });
    await sql`insert into signal_outbox (created_at) values (now())`;

    const monitor = healthMonitor();
    const started = Date.now();
    const snap = byId(await monitor.evaluate());
    expect(Date.now() - started).toBeLessThan(3000);
    for (const id of DB_CHECKS)
      expect(snap[id], id).toMatchObject({
        status: "unknown",
        value: null,
        error: { code: "db.unavailable", message: "The trading database is unreachable (db.unavailable)." },
      });
    expect(snap.circuit_breaker).toMatchObject({ status: "ok", value: "closed" });
    expect(snap.worker_rate_limit).toMatchObject({ status: "ok" });
    // The heartbeats live in the console store, which is up: the EA panel still decides.
    expect(snap.ea_heartbeat).toMatchObject({
      status: "ok",
      detail: { newestExecutionEventAgeSeconds: null, executionEventsError: { code: "db.unavailable" } },
    });
    // The history still answers, saying why the signals rollup is missing.
    expect(await monitor.historySnapshot()).toMatchObject({ signalsPerMinute: null, signalsPerMinuteError: { code: "db.unavailable" } });

    // The database comes back on the same address: no restart, the next evaluation reads it.
    const proxy = await startProxy(port, target);
    try {
      // The pool reconnects after its backoff (capped at 2 s in lib/db/client.ts).
      await expect
        .poll(async () => (await monitor.evaluate()).checks.filter((c) => DB_CHECKS.includes(c.id) && c.status === "unknown").map((c) => c.id), {
          timeout: 6000,
          interval: 200,
        })
        .toEqual([]);
      const back = byId(await monitor.evaluate());
      expect(back.signals_recent).toMatchObject({ status: "ok", value: 1 });
      expect(back.ea_heartbeat!.detail.newestExecutionEventAgeSeconds).toBeNull();
      expect(back.ea_heartbeat!.detail.executionEventsError).toBeUndefined();
    } finally {
      await closeStores();
      for (const s of proxy.sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe("the trade director", () => {
  it("hangs: circuit_breaker turns unknown at its deadline and nothing else waits for it", async () => {
    director.mode = "hang";
    const started = Date.now();
    const snap = await healthMonitor().evaluate();
    expect(Date.now() - started).toBeLessThan(1500);
    const checks = byId(snap);
    expect(checks.circuit_breaker).toMatchObject({ status: "unknown", error: { code: "td.timeout" } });
    for (const c of snap.checks.filter((c) => c.id !== "circuit_breaker")) {
      expect(c.status, c.id).not.toBe("unknown");
      expect(c.durationMs, c.id).toBeLessThan(400);
    }
  });

  it("answers 500: circuit_breaker is unknown with the HTTP error, the rest is unaffected", async () => {
    director.mode = "error500";
    const checks = byId(await healthMonitor().evaluate());
    expect(checks.circuit_breaker).toMatchObject({ status: "unknown", error: { code: "td.http" } });
    expect(checks.circuit_breaker!.error!.message).toMatch(/HTTP 500/);
    expect(checks.signals_recent!.status).toBe("critical");
    expect(checks.db_connections!.status).toBe("ok");
  });
});

describe("a worker answers 429 with Retry-After", () => {
  it("turns worker_rate_limit critical, and the console sends it nothing more until Retry-After has passed", async () => {
    const monitor = healthMonitor();
    expect(byId(await monitor.evaluate()).worker_rate_limit!.status).toBe("ok");
    worker.rateLimit(30);
    // The next probe is due after WORKER_PROBE_INTERVAL_SECONDS (1 s).
    await expect.poll(async () => byId(await monitor.evaluate()).worker_rate_limit!.status, { timeout: 5000, interval: 250 }).toBe("critical");
    const afterFirst429 = worker.requestCount;
    const critical = byId(await monitor.evaluate()).worker_rate_limit!;
    expect(critical).toMatchObject({ value: 1, detail: { workers: [{ state: "rate_limited", lastStatus: 429, retryAfterSeconds: 30 }] } });

    // Proving an absence takes time: evaluate for 2.5 s (more than two probe intervals), on the
    // shared schedule, and count what the worker received.
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      expect(byId(await monitor.get()).worker_rate_limit!.status).toBe("critical");
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(worker.requestCount).toBe(afterFirst429);
  });
});
