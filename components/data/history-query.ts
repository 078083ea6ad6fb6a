"use client";
import { useQuery } from "@tanstack/react-query";
import type { HealthHistory } from "@/lib/recovery/snapshot";
import { SignedOutError } from "./health-query";
import { keys } from "./keys";

/** The sparklines move slowly (30 s buckets); the live value is appended from the snapshot. */
const HISTORY_POLL_MS = 30_000;

export async function fetchHealthHistory(signal: AbortSignal): Promise<HealthHistory> {
  const res = await fetch("/api/health/history", { signal, cache: "no-store", headers: { Accept: "application/json" } });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) throw new Error(`history request failed (HTTP ${res.status})`);
  return (await res.json()) as HealthHistory;
}

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
    retry: (count, err) => !(err instanceof SignedOutError) && count < 1,
  });
}
