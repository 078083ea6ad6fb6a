import "server-only";
import { randomUUID } from "node:crypto";
import type { RequestMeta } from "../recovery/audit.ts";

/** Request metadata for audit entries, from a Request or from next/headers. */
export function requestMetaFrom(headers: Headers, path?: string): RequestMeta {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return {
    requestId: headers.get("x-request-id") ?? randomUUID(),
    ip: forwarded || headers.get("x-real-ip") || null,
    userAgent: headers.get("user-agent")?.slice(0, 300) ?? null,
    ...(path ? { path } : {}),
  };
}
