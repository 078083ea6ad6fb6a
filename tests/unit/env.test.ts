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
