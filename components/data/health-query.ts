"use client";
import { useQuery } from "@tanstack/react-query";
import type { Snapshot } from "@/lib/recovery/snapshot";
import { fetchJson, retryUnlessSignedOut, SignedOutError } from "./fetch-json";
import { keys } from "./keys";

export { SignedOutError };

export const fetchHealth = (signal: AbortSignal) => fetchJson<Snapshot>("/api/health", signal);

/** The shared snapshot, polled at the server's refresh interval and paused in hidden tabs. */
export function useHealth(initial: Snapshot) {
  return useQuery({
    queryKey: keys.health(),
    queryFn: ({ signal }) => fetchHealth(signal),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    refetchInterval: (q) => (q.state.data?.refreshSeconds ?? initial.refreshSeconds) * 1000,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    retry: retryUnlessSignedOut,
  });
}
