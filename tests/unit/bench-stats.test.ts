/**
 * The bench's ratios in rounds (bench/lib/stats.ts): the figure is the median of the per-round
 * ratios, so one noisy round cannot swing a verdict (bench/results/README.md, "Stable verdicts").
 */
import { describe, expect, it } from "vitest";
import { median, roundRatios } from "../../bench/lib/stats.ts";

const flat = (ms: number, n = 20) => Array.from({ length: n }, () => ms);

describe("roundRatios", () => {
  it("takes the median of the rounds' ratios, so one noisy round does not move the figure", () => {
    const rounds = [
      { a: flat(1.0), b: flat(1.0) },
      { a: flat(1.1), b: flat(1.0) },
      // A hiccup on the machine during A's half of this round only.
      { a: [...flat(1.0, 18), 40, 40], b: flat(1.0) },
      { a: flat(0.9), b: flat(1.0) },
      { a: flat(1.0), b: flat(1.0) },
    ];
    const r = roundRatios(rounds);
    expect(r.ratio).toBeCloseTo(1.0, 5);
    expect(r.perRound).toHaveLength(5);
    expect(r.spread).toEqual([0.9, 40]);
    // The p95 over all samples would have said 40 (a miss of any ≤ 2 target).
    expect(Math.max(...r.perRound)).toBe(40);
  });

  it("uses the statistic it is given (p95 by default)", () => {
    const r = roundRatios([{ a: [1, 2, 3, 4, 100], b: [1, 2, 3, 4, 5] }], median);
    expect(r.ratio).toBe(1);
    expect(roundRatios([{ a: [1, 2, 3, 4, 100], b: [1, 2, 3, 4, 5] }]).ratio).toBe(20);
  });
});

describe("median", () => {
  it("is the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
