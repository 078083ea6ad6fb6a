"use client";
import { useQuery } from "@tanstack/react-query";
import type { StatusDto } from "@/lib/recovery/status";
import { fetchJson, retryUnlessSignedOut } from "../data/fetch-json";
import { keys } from "../data/keys";

export const fetchStatus = (signal: AbortSignal) => fetchJson<StatusDto>("/api/status", signal);

/** The stakeholder status, polled at the server's refresh interval and paused in hidden tabs. */
export function useStatus(initial: StatusDto) {
  return useQuery({
    queryKey: keys.status(),
    queryFn: ({ signal }) => fetchStatus(signal),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    refetchInterval: (q) => (q.state.data?.refreshSeconds ?? initial.refreshSeconds) * 1000,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    retry: retryUnlessSignedOut,
  });
}
