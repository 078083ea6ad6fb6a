import "server-only";
import { randomUUID } from "node:crypto";
import { env } from "../env.ts";
import type { RequestMeta } from "../recovery/audit.ts";

/**
 * The client's address from X-Forwarded-For, counting `hops` entries from the right.
 *
 * Next sets X-Forwarded-For to the socket's address only when the request has none, and each
 * reverse proxy appends the address it received from. So the rightmost entry (hops = 1) is the
 * peer seen by the console itself (exposed directly) or by the one proxy in front of it; with a
 * CDN before that proxy, use hops = 2. Entries further left were written by the client and can
 * be forged, so they are never used. Exposed directly, a client that sends its own header
 * controls even the rightmost entry: run the console behind a reverse proxy (it needs TLS anyway).
 */
export function clientAddress(xForwardedFor: string | null | undefined, hops = 1): string | null {
  const parts = (xForwardedFor ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return null;
  const entry = parts[Math.max(0, parts.length - hops)]!;
  // Drop the IPv4-mapped IPv6 prefix, so one client has one key.
  return entry.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "").slice(0, 64);
}

/** A client-supplied request id is kept only when it is a plain token (no header or log injection). */
function requestId(raw: string | null): string {
  return raw && /^[A-Za-z0-9._:-]{1,100}$/.test(raw) ? raw : randomUUID();
}

/** Request metadata for audit entries, from a Request or from next/headers. */
export function requestMetaFrom(headers: Headers, path?: string): RequestMeta {
  let hops = 1;
  try {
    hops = env().TRUSTED_PROXY_HOPS;
  } catch {
    // a configuration problem is reported at start-up; metadata still gets the default
  }
  return {
    requestId: requestId(headers.get("x-request-id")),
    ip: clientAddress(headers.get("x-forwarded-for"), hops) ?? headers.get("x-real-ip") ?? null,
    userAgent: headers.get("user-agent")?.slice(0, 300) ?? null,
    ...(path ? { path } : {}),
  };
}
