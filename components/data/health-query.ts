"use client";
import type { HealthHistory, Snapshot } from "@/lib/recovery/health/snapshot";
import { useLiveQuery } from "./fetch-json";
import { keys } from "./keys";

export { SignedOutError } from "./fetch-json";

/** The sparklines move slowly (30 s buckets); the live value is appended from the snapshot. */
const HISTORY_POLL_MS = 30_000;

/** The shared snapshot: pushed by the live stream, or polled at the server's refresh interval when it does not deliver. */
export function useHealth(initial: Snapshot) {
  return useLiveQuery(keys.health(), "/api/health", initial, (d) => d.refreshSeconds * 1000, "health");
}

/** The last hour per check, polled every 30 s. */
export function useHealthHistory(initial: HealthHistory) {
  return useLiveQuery(keys.healthHistory(), "/api/health/history", initial, HISTORY_POLL_MS);
}
