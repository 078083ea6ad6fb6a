"use client";
import { useQuery } from "@tanstack/react-query";
import type { Snapshot } from "@/lib/recovery/snapshot";
import { keys } from "./keys";

/** The session ended (expired, revoked, or signed out elsewhere). */
export class SignedOutError extends Error {
  constructor() {
    super("your session has ended");
    this.name = "SignedOutError";
  }
}

export async function fetchHealth(signal: AbortSignal): Promise<Snapshot> {
  const res = await fetch("/api/health", { signal, cache: "no-store", headers: { Accept: "application/json" } });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) throw new Error(`health request failed (HTTP ${res.status})`);
  return (await res.json()) as Snapshot;
}

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
    retry: (count, err) => !(err instanceof SignedOutError) && count < 1,
  });
}
