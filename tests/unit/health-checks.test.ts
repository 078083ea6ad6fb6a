import { describe, expect, it } from "vitest";
import { classifyCircuit } from "@/lib/recovery/health/checks/circuit-breaker";
import { classifyConnections } from "@/lib/recovery/health/checks/db-connections";
import { classifyStaleDirectives } from "@/lib/recovery/health/checks/directives-stale-pending";
import { classifyHeartbeats } from "@/lib/recovery/health/checks/ea-heartbeat";
import { classifyFailedExecutions } from "@/lib/recovery/health/checks/executions-failed";
import { classifyIdleTransactions } from "@/lib/recovery/health/checks/idle-transactions";
import { parseRetryAfter, summarizeWorkers, type WorkerView } from "@/lib/recovery/health/checks/worker-rate-limit";
import { checks } from "@/lib/recovery/health/checks";

function worker(over: Partial<WorkerView> = {}): WorkerView {
  return {
    name: "tick-factory",
    url: "http://w/health",
    state: "ok",
    lastStatus: 200,
    lastProbeAt: new Date(0).toISOString(),
    lastLatencyMs: 3,
    message: null,
    retryAfterSeconds: null,
    nextProbeAt: new Date(15_000).toISOString(),
    rateLimitedInWindow: 0,
    probesSent: 1,
    ...over,
  };
}

describe("check registry", () => {
  it("has the eight check ids of the API, each once", () => {
    expect(checks.map((c) => c.id).sort()).toEqual(
      [
        "circuit_breaker",
        "db_connections",
        "directives_stale_pending",
        "ea_heartbeat",
        "executions_failed",
        "idle_transactions",
        "signals_recent",
        "worker_rate_limit",
      ].sort(),
    );
  });
});

describe("thresholds", () => {
  it("stale directives: critical from the first one (runbook scenario 2)", () => {
    expect(classifyStaleDirectives(0)).toBe("ok");
    expect(classifyStaleDirectives(1)).toBe("critical");
  });

  it("failed executions: warn from 1, critical from the configured count", () => {
    expect([0, 1, 4, 5, 6].map((n) => classifyFailedExecutions(n, 5))).toEqual(["ok", "warn", "warn", "critical", "critical"]);
    expect(classifyFailedExecutions(1, 1)).toBe("critical");
  });

  it("connections: warn from 80 %, critical from 90 % of max_connections", () => {
    expect([79, 80, 89, 90, 100].map((n) => classifyConnections(n, 100, 80, 90))).toEqual(["ok", "warn", "warn", "critical", "critical"]);
    expect(classifyConnections(16, 20, 80, 90)).toBe("warn");
    expect(classifyConnections(18, 20, 80, 90)).toBe("critical");
  });

  it("connections: critical when every slot open to applications is taken, whatever the share of max_connections", () => {
    // max_connections 40, 3 + 10 reserved: applications are refused from 27 client backends on.
    expect(classifyConnections(30, 40, 80, 90, { clientBackends: 27, openToApplications: 27 })).toBe("critical");
    expect(classifyConnections(30, 40, 80, 90, { clientBackends: 26, openToApplications: 27 })).toBe("ok");
  });

  it("idle transactions: warn from 1, critical from the configured count", () => {
    expect([0, 1, 4, 5].map((n) => classifyIdleTransactions(n, 5))).toEqual(["ok", "warn", "warn", "critical"]);
  });

  it("circuit: critical when open, warn when half-open", () => {
    expect(classifyCircuit("closed")).toBe("ok");
    expect(classifyCircuit("half-open")).toBe("warn");
    expect(classifyCircuit("open")).toBe("critical");
  });

  it("EA heartbeat: ok with a fresh primary, warn with only a fresh backup, critical with none fresh", () => {
    const stale = 60;
    expect(
      classifyHeartbeats(
        [
          { role: "primary", ageSeconds: 5 },
          { role: "backup", ageSeconds: 5 },
        ],
        stale,
      ),
    ).toBe("ok");
    expect(classifyHeartbeats([{ role: "primary", ageSeconds: 5 }], stale)).toBe("ok");
    expect(
      classifyHeartbeats(
        [
          { role: "primary", ageSeconds: 61 },
          { role: "backup", ageSeconds: 5 },
        ],
        stale,
      ),
    ).toBe("warn");
    expect(
      classifyHeartbeats(
        [
          { role: "primary", ageSeconds: 60 },
          { role: "backup", ageSeconds: 70 },
        ],
        stale,
      ),
    ).toBe("critical");
    expect(classifyHeartbeats([], stale)).toBe("critical");
  });
});

describe("Retry-After (RFC 9110 §10.2.3)", () => {
  const now = Date.parse("2026-11-27T21:00:00Z");
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });
  it("reads an HTTP date, never negative", () => {
    expect(parseRetryAfter("Fri, 27 Nov 2026 21:01:30 GMT", now)).toBe(90_000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 20:00:00 GMT", now)).toBe(0);
  });
  it("ignores a missing or malformed header", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
  });
});

describe("worker_rate_limit status", () => {
  it("is critical while a worker is rate limited and says when it will be probed again", () => {
    const r = summarizeWorkers(
      [worker({ state: "rate_limited", lastStatus: 429, retryAfterSeconds: 30, rateLimitedInWindow: 1, nextProbeAt: new Date(30_000).toISOString() })],
      300,
      0,
    );
    expect(r).toMatchObject({ status: "critical", value: 1 });
    expect(r.summary).toBe("tick-factory rate limited (429, Retry-After 30 s); next probe in 30 s");
  });

  it("is warn after recovery while 429s remain in the window, then ok", () => {
    expect(summarizeWorkers([worker({ rateLimitedInWindow: 2 })], 300, 0)).toMatchObject({ status: "warn", value: 2 });
    expect(summarizeWorkers([worker()], 300, 0)).toMatchObject({ status: "ok", value: 0 });
  });

  it("is unknown with an error when no worker answers, warn when only some fail", () => {
    const down = worker({ state: "unreachable", lastStatus: null, message: "ECONNREFUSED" });
    expect(summarizeWorkers([down], 300, 0)).toMatchObject({ status: "unknown", error: { code: "worker.unreachable" } });
    expect(summarizeWorkers([down, worker({ name: "other" })], 300, 0)).toMatchObject({ status: "warn" });
  });
});
