"use client";
import { useQuery } from "@tanstack/react-query";
import type { HealthHistory } from "@/lib/recovery/snapshot";
import { fetchJson, retryUnlessSignedOut } from "./fetch-json";
import { keys } from "./keys";

/** The sparklines move slowly (30 s buckets); the live value is appended from the snapshot. */
const HISTORY_POLL_MS = 30_000;

export const fetchHealthHistory = (signal: AbortSignal) => fetchJson<HealthHistory>("/api/health/history", signal);

/** The last hour per check, polled every 30 s, paused in hidden tabs, refreshed on focus. */
export function useHealthHistory(initial: HealthHistory) {
  return useQuery({
    queryKey: keys.healthHistory(),
    queryFn: ({ signal }) => fetchHealthHistory(signal),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    refetchInterval: HISTORY_POLL_MS,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    retry: retryUnlessSignedOut,
  });
}
