import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/lib/env";

function problems(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("configuration", () => {
  it("applies the runbook's thresholds by default", () => {
    const e = parseEnv({});
    expect(e.SIGNAL_SILENCE_SECONDS).toBe(300);
    expect(e.STALE_DIRECTIVE_SECONDS).toBe(600);
    expect(e.IDLE_TX_SECONDS).toBe(600);
    expect(e.TRADING_POOL_MAX).toBe(3);
    expect(e.EMBEDDED_PG_PORT).toBe(54329);
  });

  it("names the variable when a database URL is malformed", () => {
    const p = problems({ TRADING_DATABASE_URL: "localhost:5432/db" });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^TRADING_DATABASE_URL: must be a URL like postgres:\/\//);
  });

  it("requires AUTH_SECRET in production", () => {
    expect(problems({ NODE_ENV: "production" })).toEqual([expect.stringMatching(/^AUTH_SECRET: is required in production/)]);
    expect(problems({ NODE_ENV: "production", AUTH_SECRET: "s".repeat(32) })).toEqual([]);
  });

  it("refuses a trading pool larger than 3", () => {
    expect(problems({ TRADING_POOL_MAX: "10" })[0]).toMatch(/^TRADING_POOL_MAX:/);
  });

  it("names a non-numeric threshold", () => {
    expect(problems({ SIGNAL_SILENCE_SECONDS: "five" })[0]).toMatch(/^SIGNAL_SILENCE_SECONDS:/);
  });

  it("treats empty values as unset", () => {
    expect(parseEnv({ TRADING_DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });
});

describe("health configuration", () => {
  it("has the runbook's and the issue's defaults", () => {
    const e = parseEnv({});
    expect(e).toMatchObject({
      EXECUTIONS_FAILED_CRITICAL: 5,
      DB_CONNECTIONS_WARN_PERCENT: 80,
      DB_CONNECTIONS_CRITICAL_PERCENT: 90,
      IDLE_TX_CRITICAL_COUNT: 5,
      EA_HEARTBEAT_STALE_SECONDS: 60,
      WORKER_RATE_LIMIT_WINDOW_SECONDS: 300,
    });
    expect(e.WORKER_PROBES).toBeUndefined();
    expect(e.EA_HEARTBEAT_TOKEN).toBeUndefined();
  });

  it("parses WORKER_PROBES into named URLs", () => {
    const e = parseEnv({ WORKER_PROBES: "tick-factory=http://127.0.0.1:8787/health, other=https://other.example.workers.dev/health" });
    expect(e.WORKER_PROBES).toEqual([
      { name: "tick-factory", url: "http://127.0.0.1:8787/health" },
      { name: "other", url: "https://other.example.workers.dev/health" },
    ]);
  });

  it("names WORKER_PROBES when an entry is malformed or repeated", () => {
    expect(problems({ WORKER_PROBES: "tick-factory" })[0]).toMatch(/^WORKER_PROBES: "tick-factory" must be name=http\(s\):\/\/url/);
    expect(problems({ WORKER_PROBES: "a=ftp://x/health" })[0]).toMatch(/^WORKER_PROBES:/);
    expect(problems({ WORKER_PROBES: "a=http://x/1,a=http://x/2" })[0]).toMatch(/^WORKER_PROBES: worker "a" is listed twice/);
  });

  it("refuses a short heartbeat token and inverted connection thresholds", () => {
    expect(problems({ EA_HEARTBEAT_TOKEN: "short" })[0]).toMatch(/^EA_HEARTBEAT_TOKEN: must be at least 16 characters/);
    expect(problems({ DB_CONNECTIONS_WARN_PERCENT: "95", DB_CONNECTIONS_CRITICAL_PERCENT: "90" })).toEqual([
      "DB_CONNECTIONS_CRITICAL_PERCENT: must be at least DB_CONNECTIONS_WARN_PERCENT",
    ]);
  });
});
