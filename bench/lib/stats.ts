/** Small statistics helpers: nearest-rank percentiles over raw samples, rounding for reports. */

/** The p-th percentile (0-100) by the nearest-rank method; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const p95 = (samples: number[]) => percentile(samples, 95);
export const p50 = (samples: number[]) => percentile(samples, 50);

export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Time an async call in milliseconds (performance.now resolution). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes; returns the value or throws with `what`. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, opts: { timeoutMs: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)})` : ""}`,
      );
    }
    await sleep(opts.intervalMs ?? 50);
  }
}

/** The median of a list (the mean of the middle two for an even count); NaN for none. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

/**
 * A ratio of two measurements taken in rounds, A and B side by side in each round (the order
 * alternating, A/B then B/A, so neither always runs first): the ratio of each round's statistic,
 * then the median of those per-round ratios. One noisy moment on a shared machine spoils at most
 * the round it falls in, not the figure; `spread` is the lowest and highest per-round ratio.
 */
export function roundRatios(rounds: { a: number[]; b: number[] }[], stat: (samples: number[]) => number = p95) {
  const ratios = rounds.map((r) => stat(r.a) / stat(r.b));
  return {
    ratio: median(ratios),
    perRound: ratios.map((r) => round(r, 3)),
    spread: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] as [number, number],
  };
}
