/**
 * No false incident at start-up (issue 18 point 6). Right after the console (re)starts, a check
 * whose data only arrives over time (EA heartbeats: one every few seconds, none while the console
 * was down) has none yet. For CHECK_WARMUP_SECONDS after the process started, such a reading is
 * *pending*: status `unknown` (never critical, so no incident opens and no webhook fires, see
 * lib/recovery/incidents/decide.ts) with `pending` saying until when. After the window, a check
 * still without data reads as it would have: a silence that outlives the warm-up is real.
 *
 * Pure (the clock is passed in), unit-tested in tests/unit/warmup.test.ts.
 */
import type { CheckReading } from "./types.ts";

/** When this process started (ms since the epoch), from Node's own uptime: not when a module loaded. */
export function processStartedAt(now = Date.now()): number {
  return now - Math.round(process.uptime() * 1000);
}

/**
 * The reading as it stands, or pending when the check has had no data since the process started
 * and the warm-up window has not passed. `noDataSinceStart` is the check's own judgement.
 */
export function duringWarmup<D extends object>(
  reading: CheckReading<D>,
  o: { noDataSinceStart: boolean; startedAt: number; warmupSeconds: number; now?: number; waitingFor: string },
): CheckReading<D> & { pending?: { until: string } } {
  const now = o.now ?? Date.now();
  const until = o.startedAt + o.warmupSeconds * 1000;
  if (!o.noDataSinceStart || reading.status === "ok" || now >= until) return reading;
  const left = Math.max(1, Math.ceil((until - now) / 1000));
  return {
    ...reading,
    status: "unknown",
    summary: `Starting up: waiting for ${o.waitingFor} (warm-up, ${left} s left)`,
    pending: { until: new Date(until).toISOString() },
  };
}
