/**
 * One request's context, shared by the console's entry point (scripts/console-server.ts), which
 * opens it around Next's handler and logs it when the response ends, and the app, which notes who
 * the caller is (lib/recovery/access/authz.ts currentActor). The AsyncLocalStorage lives on globalThis
 * under a registered symbol: the entry point and Next's server bundle each load their own copy of
 * this module. No server-only marker: the entry point imports it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export type RequestContext = { requestId: string; actor: string | null };

const KEY = Symbol.for("recovery-console.request-context");
const g = globalThis as unknown as { [KEY]?: AsyncLocalStorage<RequestContext> };

export const requestContext: AsyncLocalStorage<RequestContext> = (g[KEY] ??= new AsyncLocalStorage<RequestContext>());

/**
 * The request id: the client's X-Request-Id when it is a plain token (no header or log injection),
 * else a new one. The entry point decides it once and writes it back into the request's header, so
 * the audit entry (lib/auth/request-meta.ts) and the log line carry the same id.
 */
export function requestIdFrom(raw: string | null | undefined): string {
  return raw && /^[A-Za-z0-9._:-]{1,100}$/.test(raw) ? raw : randomUUID();
}

/** Record the caller of the current request (an email, or "api-token"), for its log line. */
export function noteActor(actor: string): void {
  const ctx = requestContext.getStore();
  if (ctx) ctx.actor = actor;
}
