"use client";
/** The one GET helper every polled query uses: no caching, abortable, 401 as a typed error. */

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
