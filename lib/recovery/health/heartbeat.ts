import "server-only";
/**
 * POST /api/heartbeat: EA instances report that they are alive (runbook scenario 5, "Implement
 * heartbeat mechanism, dual EA setup"). Machine-to-machine: the EA authenticates with the bearer
 * token EA_HEARTBEAT_TOKEN (compared in constant time), not with a user session, and may do
 * nothing else with it.
 *
 *   POST /api/heartbeat
 *   Authorization: Bearer $EA_HEARTBEAT_TOKEN
 *   {"instance":"ea-primary","role":"primary","version":"3.2.1"}      (version optional)
 *   → 200 {"ok":true,"instance":"ea-primary","role":"primary","lastSeenAt":"…","beats":42}
 *   → 400 invalid body, 401 bad or missing token, 404 heartbeats not configured, 413 body too large
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { text } from "../../validation/text.ts";
import { env } from "../../env.ts";
import { DbError } from "../../db/errors.ts";
import { upsertHeartbeat } from "../../db/queries/heartbeats.ts";
import { requestMetaFrom } from "../../auth/request-meta.ts";
import { readCapped } from "../../http/action-request.ts";

export const heartbeatSchema = z.object({
  instance: text().regex(/^[A-Za-z0-9._:-]{1,64}$/, "1-64 letters, digits, '.', '_', ':' or '-'"),
  role: z.enum(["primary", "backup"]),
  version: text().max(64).optional(),
});

const MAX_BODY_BYTES = 4096;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

function tokenMatches(given: string, expected: string): boolean {
  // Hash both sides so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

/** Read at most `limit` bytes of the body; null when it is larger. */
async function readBody(request: Request, limit: number): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  const bytes = await readCapped(request, limit);
  return bytes && Buffer.from(bytes).toString("utf8");
}

export async function handleHeartbeat(request: Request): Promise<Response> {
  const expected = env().EA_HEARTBEAT_TOKEN;
  if (!expected)
    return json(404, {
      error: { code: "heartbeat.not_configured", message: "EA heartbeats are not enabled on this console (EA_HEARTBEAT_TOKEN is not set)." },
    });
  const authz = request.headers.get("authorization") ?? "";
  if (!authz.startsWith("Bearer ") || !tokenMatches(authz.slice(7), expected)) {
    return json(401, { error: { code: "auth.required", message: "Missing or invalid bearer token." } }, { "WWW-Authenticate": 'Bearer realm="ea-heartbeat"' });
  }
  const text = await readBody(request, MAX_BODY_BYTES);
  if (text === null) return json(413, { error: { code: "heartbeat.too_large", message: `The body must be at most ${MAX_BODY_BYTES} bytes.` } });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return json(400, { error: { code: "heartbeat.invalid", message: "The body must be JSON." } });
  }
  const parsed = heartbeatSchema.safeParse(raw);
  if (!parsed.success) {
    return json(400, {
      error: {
        code: "heartbeat.invalid",
        message: "Invalid heartbeat.",
        fields: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join(".") || "body", i.message])),
      },
    });
  }
  // The same client-address rule as everywhere (rightmost trusted hop), not the forgeable leftmost entry.
  const remoteAddr = requestMetaFrom(request.headers).ip ?? null;
  try {
    const saved = await upsertHeartbeat({ instance: parsed.data.instance, role: parsed.data.role, version: parsed.data.version ?? null, remoteAddr });
    return json(200, { ok: true, instance: parsed.data.instance, role: parsed.data.role, ...saved });
  } catch (err) {
    if (err instanceof DbError) {
      console.error("[heartbeat] could not record a heartbeat:", err);
      return json(503, { error: { code: err.code, message: err.publicMessage } }, { "Retry-After": "5" });
    }
    throw err;
  }
}
