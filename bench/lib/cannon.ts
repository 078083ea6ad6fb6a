/**
 * autocannon, programmatically: a run as a promise, with every response time kept (autocannon's
 * own summary has no p95, and with a paced rate it corrects for coordinated omission, which we
 * report separately from the raw times).
 */
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export type CannonRun = {
  /** Stop early (paced runs that last as long as a measurement needs). */
  stop(): void;
  done: Promise<CannonResult>;
};

export type CannonResult = {
  requests: number;
  seconds: number;
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
};

/**
 * Run autocannon for `duration` seconds. Throughput counts the responses completed within the
 * window after a short warm-up (autocannon itself stops at its next 1 s tick, so its own total
 * would include up to a second more).
 */
export function cannon(opts: autocannon.Options & { duration: number }): CannonRun {
  const times: number[] = [];
  const finishedAt: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const warmupMs = Math.min(1000, (opts.duration * 1000) / 5);
  const instance = autocannon({ timeout: 10, ...opts }, () => {});
  const done = new Promise<CannonResult>((resolve, reject) => {
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      times.push(ms);
      finishedAt.push(performance.now() - started);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
    instance.on("error", reject);
    instance.on("done", (r: autocannon.Result) => {
      const seconds = (performance.now() - started) / 1000;
      const windowEnd = Math.min(opts.duration * 1000, seconds * 1000);
      const inWindow = finishedAt.filter((t) => t >= warmupMs && t <= windowEnd).length;
      resolve({
        requests: times.length,
        seconds,
        rps: inWindow / ((windowEnd - warmupMs) / 1000),
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        statuses,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        p99: percentile(times, 99),
        max: times.length ? Math.max(...times) : Number.NaN,
      });
    });
  });
  return { stop: () => instance.stop(), done };
}
