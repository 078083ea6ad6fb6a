import "server-only";
import { requestIdFrom } from "../http/request-context.ts";
import type { RequestMeta } from "../recovery/audit/writer.ts";
import { normalizeAddress } from "./client-address.ts";

/**
 * The client's address, as the console's HTTP entry point decided it from the socket (and, only
 * when trust in proxies is configured, from the forwarded chain): lib/auth/client-address.ts
 * overwrites X-Forwarded-For with exactly that one address before Next sees the request. So the
 * header holds one entry; should it hold several (the console run without its entry point, which
 * docs/security.md warns against), the rightmost, the nearest hop, is taken. X-Real-IP is never read:
 * a client can send it.
 */
export function clientAddress(xForwardedFor: string | null | undefined): string | null {
  const last = (xForwardedFor ?? "").split(",").pop();
  return normalizeAddress(last)?.slice(0, 64) ?? null;
}

/** Request metadata for audit entries, from a Request or from next/headers. */
export function requestMetaFrom(headers: Headers, path?: string): RequestMeta {
  return {
    requestId: requestIdFrom(headers.get("x-request-id")),
    ip: clientAddress(headers.get("x-forwarded-for")),
    userAgent: headers.get("user-agent")?.slice(0, 300) ?? null,
    ...(path ? { path } : {}),
  };
}
