import { describe, expect, it } from "vitest";
import { accountSlowdownMs, pairDelaySeconds, throttleDecision, throttledMessage } from "@/lib/auth/login-throttle";

const policy = { maxFailures: 10, windowSeconds: 15 * 60 };
const now = Date.parse("2026-11-27T12:00:00Z");
const secondsAgo = (s: number) => now - s * 1000;
const minutesAgo = (m: number) => secondsAgo(m * 60);
const none: number[] = [];

describe("sign-in throttle decision", () => {
  it("lets the first three failures of an account from a client retry at once", () => {
    expect(throttleDecision({ accountFailures: [0, 0].map(secondsAgo), pairFailures: [0, 0].map(secondsAgo), clientFailures: none, now, policy })).toEqual({
      throttled: false,
      delayMs: 0,
    });
    expect(pairDelaySeconds(2, policy)).toBe(0);
  });

  it("then delays that account from that client progressively: 15 s, 30 s, 60 s… up to the window", () => {
    expect([3, 4, 5, 6, 7, 8, 9, 12].map((n) => pairDelaySeconds(n, policy))).toEqual([15, 30, 60, 120, 240, 480, 900, 900]);
    const three = [10, 20, 30].map(secondsAgo);
    // The last failure was 10 s ago: 5 s still to wait.
    expect(throttleDecision({ accountFailures: three, pairFailures: three, clientFailures: none, now, policy })).toEqual({
      throttled: true,
      scope: "account_client",
      retryAfterSeconds: 5,
    });
    const later = [16, 20, 30].map(secondsAgo);
    expect(throttleDecision({ accountFailures: later, pairFailures: later, clientFailures: none, now, policy })).toMatchObject({ throttled: false });
  });

  it("never locks an account attacked from many clients: it slows it down, with a cap", () => {
    const attack = Array.from({ length: 40 }, (_, i) => secondsAgo(i));
    const d = throttleDecision({ accountFailures: attack, pairFailures: none, clientFailures: none, now, policy });
    expect(d).toEqual({ throttled: false, delayMs: 4000 });
    expect([9, 10, 11, 12, 14, 40].map((n) => accountSlowdownMs(n, policy))).toEqual([0, 250, 500, 1000, 4000, 4000]);
  });

  it("refuses a client that fails across many accounts, until the oldest failure leaves the window", () => {
    const spray = Array.from({ length: 10 }, (_, i) => minutesAgo(i + 1));
    // The 10th most recent failure (10 min ago) leaves the window in 5 minutes.
    expect(throttleDecision({ accountFailures: none, pairFailures: none, clientFailures: spray, now, policy })).toEqual({
      throttled: true,
      scope: "client",
      retryAfterSeconds: 300,
    });
    expect(throttleDecision({ accountFailures: none, pairFailures: none, clientFailures: spray.slice(1), now, policy })).toMatchObject({ throttled: false });
  });

  it("forgets failures older than the window", () => {
    const old = [16, 20, 30].map(minutesAgo);
    expect(throttleDecision({ accountFailures: old, pairFailures: old, clientFailures: old, now, policy })).toEqual({ throttled: false, delayMs: 0 });
  });

  it("tells a throttled user how long to wait, in seconds under a minute, else whole minutes rounded up", () => {
    expect(throttledMessage(600)).toBe("Too many failed sign-in attempts. Try again in 10 minutes.");
    expect(throttledMessage(61)).toBe("Too many failed sign-in attempts. Try again in 2 minutes.");
    expect(throttledMessage(15)).toBe("Too many failed sign-in attempts. Try again in 15 seconds.");
    expect(throttledMessage(1, "failed attempts")).toBe("Too many failed attempts. Try again in 1 second.");
  });
});
