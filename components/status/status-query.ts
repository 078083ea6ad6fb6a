"use client";
import { useQuery } from "@tanstack/react-query";
import type { StatusDto } from "@/lib/recovery/status";
import { SignedOutError } from "../data/health-query";
import { keys } from "../data/keys";

export async function fetchStatus(signal: AbortSignal): Promise<StatusDto> {
  const res = await fetch("/api/status", { signal, cache: "no-store", headers: { Accept: "application/json" } });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) throw new Error(`status request failed (HTTP ${res.status})`);
  return (await res.json()) as StatusDto;
}

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
    retry: (count, err) => !(err instanceof SignedOutError) && count < 1,
  });
}
