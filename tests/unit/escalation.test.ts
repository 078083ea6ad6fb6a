import { describe, expect, it } from "vitest";
import { escalation, formatClock, formatDuration, levelAt, untilNextLevel } from "@/lib/recovery/incidents/escalation";

const min = 60_000;

describe("escalation clock (runbook: L1 0-15 min, L2 15-30, L3 30+)", () => {
  it.each([
    [0, 1],
    [14 * min + 59_999, 1],
    [15 * min, 2],
    [29 * min + 59_999, 2],
    [30 * min, 3],
    [6 * 60 * min, 3],
  ])("at %d ms is level %d", (elapsed, level) => {
    expect(levelAt(elapsed)).toBe(level);
  });

  it("says how long until the next level, and nothing at L3", () => {
    expect(untilNextLevel(10 * min)).toBe(5 * min);
    expect(untilNextLevel(20 * min)).toBe(10 * min);
    expect(untilNextLevel(31 * min)).toBeNull();
  });

  it("follows configured thresholds", () => {
    expect(levelAt(5 * min, { l2Minutes: 5, l3Minutes: 10 })).toBe(2);
    expect(levelAt(10 * min, { l2Minutes: 5, l3Minutes: 10 })).toBe(3);
  });

  it("computes from an injected clock, with what the level asks for", () => {
    const start = Date.parse("2026-01-03T14:02:00Z");
    expect(escalation(start, start + 18 * min)).toEqual({ level: 2, asks: "L2: engage the on-call engineer", elapsedMs: 18 * min, nextLevelInMs: 12 * min });
    expect(escalation(start, start + 45 * min).asks).toBe("L3: halt trading and notify stakeholders");
    // A clock that runs behind the start never gives negative time.
    expect(escalation(start, start - 1000).elapsedMs).toBe(0);
  });

  it("formats durations for humans", () => {
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(18 * min)).toBe("18 min");
    expect(formatDuration(65 * min)).toBe("1 h 05 min");
    expect(formatClock(17 * min + 42_000)).toBe("17:42");
    expect(formatClock(65 * min + 9000)).toBe("1:05:09");
  });
});
