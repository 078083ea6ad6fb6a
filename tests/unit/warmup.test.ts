/**
 * No false incident at start-up (lib/recovery/health/checks/warmup.ts): a check with no data since the
 * process started is pending (unknown), never critical, during CHECK_WARMUP_SECONDS; and the
 * incident rules open nothing for it.
 */
import { describe, expect, it } from "vitest";
import type { CheckReading, CheckResult } from "@/lib/recovery/health/checks/types";
import { duringWarmup } from "@/lib/recovery/health/checks/warmup";
import { decide } from "@/lib/recovery/incidents/decide";
import { buildStatus } from "@/lib/recovery/health/status";

const T0 = Date.parse("2026-12-03T14:00:00Z");
const critical: CheckReading = { status: "critical", value: null, unit: "s", summary: "No heartbeat ever received from an EA", threshold: "", detail: {} };
const opts = { startedAt: T0, warmupSeconds: 90, waitingFor: "the first EA heartbeat" };

describe("duringWarmup", () => {
  it("turns a critical without data into pending unknown during the window, saying until when", () => {
    const r = duringWarmup(critical, { ...opts, noDataSinceStart: true, now: T0 + 10_000 });
    expect(r).toMatchObject({
      status: "unknown",
      pending: { until: "2026-12-03T14:01:30.000Z" },
      summary: "Starting up: waiting for the first EA heartbeat (warm-up, 80 s left)",
    });
  });

  it("leaves it critical once the window has passed", () => {
    expect(duringWarmup(critical, { ...opts, noDataSinceStart: true, now: T0 + 90_000 })).toBe(critical);
  });

  it("leaves it critical when data did arrive since the start (a real silence)", () => {
    expect(duringWarmup(critical, { ...opts, noDataSinceStart: false, now: T0 + 10_000 })).toBe(critical);
  });

  it("opens no incident for a pending check, and the status page says starting up", () => {
    const r = duringWarmup(critical, { ...opts, noDataSinceStart: true, now: T0 + 5000 });
    const check: CheckResult = { id: "ea_heartbeat", title: "EA heartbeat", scenario: 5, observedAt: new Date(T0 + 5000).toISOString(), durationMs: 1, ...r };
    const d = decide({ previous: new Map(), checks: [check], open: [], now: T0 + 5000, policy: { l2Minutes: 15, l3Minutes: 30 }, resolveAfter: 3 });
    expect(d.open).toEqual([]);
    const status = buildStatus({ generatedAt: check.observedAt, refreshSeconds: 5, checks: [check] }, { checks: [{ id: "ea_heartbeat", area: "execution" }] });
    expect(status.areas.find((a) => a.id === "execution")).toMatchObject({ level: "unknown", summary: "Starting up, waiting for the first readings" });
  });
});
