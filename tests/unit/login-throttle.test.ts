import { describe, expect, it } from "vitest";
import { throttleDecision, throttledMessage } from "@/lib/auth/login-throttle";

const policy = { maxFailures: 5, windowSeconds: 15 * 60 };
const now = Date.parse("2026-11-27T12:00:00Z");
const minutesAgo = (m: number) => now - m * 60_000;

describe("sign-in throttle decision", () => {
  it("allows four failures in 15 minutes", () => {
    expect(throttleDecision({ accountFailures: [1, 2, 3, 4].map(minutesAgo), clientFailures: [], now, policy })).toEqual({ throttled: false });
  });

  it("throttles the account at the fifth failure, until it leaves the window", () => {
    const d = throttleDecision({ accountFailures: [1, 2, 3, 4, 5].map(minutesAgo), clientFailures: [], now, policy });
    // The oldest of the five (5 min ago) leaves the window in 10 minutes.
    expect(d).toEqual({ throttled: true, scope: "account", retryAfterSeconds: 600 });
  });

  it("throttles a client that fails across many accounts", () => {
    expect(throttleDecision({ accountFailures: [], clientFailures: [0.1, 0.2, 0.3, 0.4, 0.5].map(minutesAgo), now, policy })).toMatchObject({ throttled: true, scope: "client" });
  });

  it("forgets failures older than the window", () => {
    expect(throttleDecision({ accountFailures: [1, 2, 3, 16, 20, 30].map(minutesAgo), clientFailures: [], now, policy })).toEqual({ throttled: false });
  });

  it("tells a throttled user how long to wait, in whole minutes rounded up", () => {
    expect(throttledMessage(600)).toBe("Too many failed sign-in attempts. Try again in 10 minutes.");
    expect(throttledMessage(61)).toBe("Too many failed sign-in attempts. Try again in 2 minutes.");
    expect(throttledMessage(5, "failed attempts")).toBe("Too many failed attempts. Try again in 1 minute.");
  });
});
