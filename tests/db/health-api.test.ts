/**
 * The health API through its route handlers, with the real monitor and all eight real checks:
 * real PostgreSQL, the trade-director and worker simulators as real HTTP servers.
 */
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { GET as getHealth } from "@/app/api/health/route";
import { GET as getHistory } from "@/app/api/health/history/route";
import { GET as getMetrics } from "@/app/api/metrics/route";
import { GET as getLive } from "@/app/api/live/route";
import { closeStores } from "@/lib/db/client";
import { noteAnchorRefused, stopAnchoring } from "@/lib/recovery/audit/anchors";
import { healthMonitor, resetHealthMonitor, type HealthHistory, type Snapshot } from "@/lib/recovery/health/snapshot";
import { startTradeDirector, type TradeDirectorSim } from "@/sim/trade-director";
import { startWorkerSim, type WorkerSim } from "@/sim/worker";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

const API_TOKEN = "console-api-token-for-tests";
const IDS = [
  "signals_recent",
  "directives_stale_pending",
  "circuit_breaker",
  "executions_failed",
  "db_connections",
  "idle_transactions",
  "worker_rate_limit",
  "ea_heartbeat",
];
let sql: Sql;
let store: Sql;
let director: TradeDirectorSim;
let worker: WorkerSim;

const request = (path: string, token = API_TOKEN) => new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  sql = connect("trading");
  store = connect("console");
  director = await startTradeDirector({ port: 0 });
  worker = await startWorkerSim({ port: 0, name: "tick-factory" });
  await withEnv({
    CONSOLE_API_TOKEN: API_TOKEN,
    TRADE_DIRECTOR_URL: director.url,
    WORKER_PROBES: `tick-factory=${worker.url}/health`,
    EA_HEARTBEAT_TOKEN: "ea-heartbeat-token-for-tests",
    HEALTH_REFRESH_SECONDS: "60",
  });
});
beforeEach(async () => {
  await resetTrading(sql);
  // Other suites share the console store: start from no EA heartbeats.
  await store`delete from console.ea_heartbeats`;
  resetHealthMonitor();
});
afterAll(async () => {
  resetHealthMonitor();
  await sql.end();
  await store.end();
  await director.close();
  await worker.close();
  await closeStores();
  await withEnv({
    CONSOLE_API_TOKEN: undefined,
    TRADE_DIRECTOR_URL: undefined,
    WORKER_PROBES: undefined,
    EA_HEARTBEAT_TOKEN: undefined,
    HEALTH_REFRESH_SECONDS: undefined,
  });
});

describe("GET /api/health", () => {
  it("serves 50 concurrent requests from exactly one evaluation (single-flight)", async () => {
    const circuitCalls = () => director.requests.filter((r) => r.path === "/admin/circuit").length;
    const circuitBefore = circuitCalls();
    const workerBefore = worker.requestCount;
    const responses = await Promise.all(Array.from({ length: 50 }, () => getHealth(request("/api/health"), {})));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Snapshot[];
    expect(new Set(bodies.map((b) => b.generatedAt)).size).toBe(1);
    expect(healthMonitor().evaluations).toBe(1);
    // The dependencies saw one evaluation's worth of requests, not fifty.
    expect(circuitCalls() - circuitBefore).toBe(1);
    expect(worker.requestCount - workerBefore).toBe(1);
    expect(responses[0]!.headers.get("cache-control")).toBe("no-store");

    const snap = bodies[0]!;
    expect(snap.refreshSeconds).toBe(60);
    expect(snap.checks.map((c) => c.id)).toEqual(IDS);
    for (const c of snap.checks) {
      expect(c).toMatchObject({
        id: expect.any(String),
        title: expect.any(String),
        status: expect.stringMatching(/^(ok|warn|critical|unknown)$/),
        observedAt: expect.any(String),
        durationMs: expect.any(Number),
      });
      expect(c.since).toEqual({ at: c.observedAt, exact: false });
    }
    const byId = Object.fromEntries(snap.checks.map((c) => [c.id, c]));
    expect(byId.circuit_breaker).toMatchObject({ status: "ok", value: "closed" });
    expect(byId.worker_rate_limit).toMatchObject({ status: "ok", value: 0 });
    expect(byId.signals_recent).toMatchObject({ status: "critical", value: 0 });
    expect(byId.ea_heartbeat).toMatchObject({ status: "critical", value: null });
    expect(byId.db_connections!.status).toBe("ok");
  });

  // (Anonymous requests without any token need Next's request context for the session lookup;
  // the e2e suite covers them against the running server.)
  it("refuses a wrong bearer token with 401, before evaluating anything", async () => {
    for (const handler of [getHealth, getHistory, getMetrics, getLive]) {
      const res = await handler(request("/api/x", "wrong-token-wrong-token"), {});
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    }
    expect(healthMonitor().evaluations).toBe(0);
  });
});

describe("GET /api/live", () => {
  it("streams /api/health's body and the open incidents as server-sent events, unbuffered, and lets go when the client leaves", async () => {
    const client = new AbortController();
    const res = await getLive(new Request("http://localhost/api/live", { headers: { authorization: `Bearer ${API_TOKEN}` }, signal: client.signal }), {});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!/event: incidents\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended early: ${text.slice(0, 200)}`);
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toMatch(/^retry: \d+\n\n/);
    const health = JSON.parse(/event: health\ndata: (.*)\n/.exec(text)![1]!) as Snapshot & { runbook: unknown; auditAnchoring: unknown };
    expect(health.checks.map((c) => c.id)).toEqual(IDS);
    expect(health).toMatchObject({ runbook: { hash: expect.any(String) }, auditAnchoring: expect.any(Object) });
    const incidents = JSON.parse(/event: incidents\ndata: (.*)\n/.exec(text)![1]!) as { incidents: unknown[] };
    expect(incidents.incidents).toEqual(expect.any(Array));
    // The same evaluation /api/health serves: the stream did not run one of its own.
    expect(healthMonitor().evaluations).toBe(1);
    client.abort();
    await expect(reader.read()).resolves.toMatchObject({ done: true });
  });
});

describe("GET /api/health/history", () => {
  it("returns the last hour per check and the signals rollup", async () => {
    await sql`insert into signal_outbox (created_at) values (now() - interval '30 seconds'), (now() - interval '90 seconds')`;
    await healthMonitor().evaluate();
    const res = await getHistory(request("/api/health/history"), {});
    expect(res.status).toBe(200);
    const history = (await res.json()) as HealthHistory;
    expect(history).toMatchObject({ windowSeconds: 3600, bucketSeconds: 60 });
    expect(Object.keys(history.checks)).toEqual(IDS);
    expect(history.checks.signals_recent).toEqual([{ t: expect.any(String), value: 2, status: "ok" }]);
    expect(history.signalsPerMinute).toHaveLength(60);
    expect(history.signalsPerMinute!.reduce((n, m) => n + m.count, 0)).toBe(2);
  });
});

describe("auditAnchoring on /api/health and /api/metrics (issue 11 point 3)", () => {
  it("says whether the anchorer refuses to anchor, and why, and counts the refusals", async () => {
    stopAnchoring();
    try {
      const before = (await (await getHealth(request("/api/health"), {})).json()) as { auditAnchoring: unknown };
      expect(before.auditAnchoring).toMatchObject({ refused: false, reason: null, refusals: 0, lastAnchor: null });
      await noteAnchorRefused({
        breaks: [{ seq: 7, kind: "modified", detail: "entry 7 differs from its anchor" }],
        breakCount: 1,
        previous: { seq: 7, hash: "a".repeat(64) },
        head: { seq: 9, hash: "b".repeat(64), at: new Date().toISOString() },
        source: "test",
      });
      const after = (await (await getHealth(request("/api/health"), {})).json()) as { auditAnchoring: unknown };
      expect(after.auditAnchoring).toMatchObject({
        refused: true,
        reason: expect.stringMatching(/does not verify.*#7 modified/),
        refusals: 1,
        refusedSince: expect.any(String),
      });
      const text = await (await getMetrics(request("/api/metrics"), {})).text();
      expect(text).toMatch(/^recovery_console_audit_anchor_refusals_total 1$/m);
      expect(text).toMatch(/^recovery_console_audit_anchoring_refused 1$/m);
    } finally {
      stopAnchoring();
    }
  });
});

describe("GET /api/metrics", () => {
  it("exposes the snapshot in the Prometheus text format", async () => {
    director.open();
    try {
      const res = await getMetrics(request("/api/metrics"), {});
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await res.text();
      for (const id of IDS) expect(text).toContain(`recovery_console_check_status{check="${id}"`);
      expect(text).toContain('recovery_console_check_status{check="circuit_breaker",scenario="2"} 2');
      expect(text).toContain('recovery_console_check_state{check="circuit_breaker",state="critical"} 1');
      expect(text).toContain('recovery_console_check_value{check="signals_recent",unit="signals"} 0');
      expect(text).toContain("recovery_console_health_evaluations_total 1");
    } finally {
      director.closeCircuit();
    }
  });
});

/** Issue 12, point 9: the API token acts as a viewer, without health.details (tests/db/data-access.test.ts has each role). */
describe("least data for the API token", () => {
  it("gives the idle session's status and value, not its SQL text, database user or client address, in /api/health and /api/metrics", async () => {
    const MARKER = `rc_token_marker_${Date.now().toString(36)}`;
    await withEnv({ IDLE_TX_SECONDS: "1" });
    const holder = postgres(inject("tradingUrl"), { max: 1, onnotice: () => {}, connection: { application_name: "distortsignals-api" } });
    try {
      const r = await holder.reserve();
      await r`begin`;
      await r.unsafe(`select '${MARKER}' as marker`);
      // Read until the check itself counts the session (it waits out IDLE_TX_SECONDS).
      let snap: Snapshot | undefined;
      await expect
        .poll(
          async () => {
            resetHealthMonitor();
            snap = (await (await getHealth(request("/api/health"), {})).json()) as Snapshot;
            return snap.checks.find((c) => c.id === "idle_transactions")!.value;
          },
          { timeout: 10_000, interval: 300 },
        )
        .toBe(1);
      const idle = snap!.checks.find((c) => c.id === "idle_transactions")!;
      expect(idle.status).toBe("warn");
      expect(idle.detail.hidden).toEqual(["client", "query", "user"]);
      expect(JSON.stringify(snap)).not.toContain(MARKER);
      // The shared snapshot has it: the token's answer was cut, not the evaluation.
      expect(JSON.stringify(await healthMonitor().get())).toContain(MARKER);
      const metrics = await (await getMetrics(request("/api/metrics"), {})).text();
      expect(metrics).toContain('recovery_console_check_value{check="idle_transactions",unit="sessions"} 1');
      expect(metrics).not.toContain(MARKER);
      expect(metrics).not.toMatch(/127\.0\.0\.1|usename/);
    } finally {
      await holder.end({ timeout: 1 });
      await withEnv({ IDLE_TX_SECONDS: undefined });
    }
  });
});
