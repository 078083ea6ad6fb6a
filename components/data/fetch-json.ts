"use client";
/** The one GET helper every polled query uses: no caching, abortable, 401 as a typed error. */
import { useQuery, type DefinedUseQueryResult, type QueryKey } from "@tanstack/react-query";
import { useLiveStream, type LiveTopic } from "./live-stream";

/** The session ended (expired, revoked, or signed out elsewhere). */
export class SignedOutError extends Error {
  constructor() {
    super("your session has ended");
    this.name = "SignedOutError";
  }
}

export async function fetchJson<T>(path: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, cache: "no-store", headers: { Accept: "application/json" } });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) throw new Error(`${path} failed (HTTP ${res.status})`);
  return (await res.json()) as T;
}

/** Retry once on a passing failure, never when signed out. */
export const retryUnlessSignedOut = (count: number, err: Error) => !(err instanceof SignedOutError) && count < 1;

/**
 * A server-rendered value kept live: it starts from `initial` (the page is useful before the
 * scripts load), polls `path` every `everyMs` (a number, or read from the latest data), pauses in
 * hidden tabs, refreshes on focus, and retries a passing failure once, never a signed-out one.
 */
export function useLiveQuery<T extends { generatedAt: string }>(
  key: QueryKey,
  path: string,
  initial: T,
  everyMs: number | ((data: T) => number),
  live?: LiveTopic,
): DefinedUseQueryResult<T, Error> {
  const stream = useLiveStream(live !== undefined);
  const streamed = () => live !== undefined && stream.delivers(live);
  return useQuery<T, Error, T, QueryKey>({
    queryKey: key,
    queryFn: ({ signal }) => fetchJson<T>(path, signal),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    // Pushed by the live stream (components/data/live-stream.ts) while it delivers; polled otherwise.
    refetchInterval: (q) => (streamed() ? false : typeof everyMs === "number" ? everyMs : everyMs(q.state.data ?? initial)),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: () => !streamed(),
    retry: retryUnlessSignedOut,
    // With initialData the result always has data; TanStack's overloads cannot see that through a generic T.
  }) as DefinedUseQueryResult<T, Error>;
}
