/**
 * Preview tokens bind a confirm to the preview the user saw: the token names a stored preview
 * (its exact target set), the user and the action, and expires (PREVIEW_TTL_SECONDS, default
 * 2 minutes). It is HMAC-SHA-256 signed with a key derived from AUTH_SECRET, so it cannot be
 * forged or altered; a stale or tampered token is refused with a clear message.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type PreviewClaims = { previewId: string; action: string; actorId: string; expiresAt: number };

/**
 * The refusal codes about previews: a bad, expired or foreign token (verifyPreviewToken), a
 * confirm whose parameters differ from the preview's (preview.mismatch too), and a preview
 * already confirmed once (preview.used, lib/recovery/actions/pipeline.ts).
 */
export type PreviewCode = "preview.invalid" | "preview.expired" | "preview.mismatch" | "preview.used";

export type TokenProblem = { code: Exclude<PreviewCode, "preview.used">; message: string };

function key(secret: string): Buffer {
  return createHmac("sha256", secret).update("recovery-console/preview-token/v1").digest();
}

export function signPreviewToken(claims: PreviewClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify([claims.previewId, claims.action, claims.actorId, claims.expiresAt])).toString("base64url");
  const mac = createHmac("sha256", key(secret)).update(payload).digest("base64url");
  return `${payload}.${mac}`;
}

export function verifyPreviewToken(
  token: string,
  expected: { action: string; actorId: string; now?: number },
  secret: string,
): { ok: true; claims: PreviewClaims } | { ok: false; problem: TokenProblem } {
  const invalid = {
    ok: false as const,
    problem: { code: "preview.invalid" as const, message: "The preview token is not valid. Open the action again to get a fresh preview." },
  };
  const [payload, mac] = token.split(".");
  if (!payload || !mac) return invalid;
  // Compare the encoded text, not decoded bytes: base64url decoding ignores the last character's
  // spare bits, so two different strings can decode to the same MAC; only the canonical one is valid.
  const expectedMac = Buffer.from(createHmac("sha256", key(secret)).update(payload).digest("base64url"));
  const given = Buffer.from(mac);
  if (given.length !== expectedMac.length || !timingSafeEqual(given, expectedMac)) return invalid;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return invalid;
  }
  if (!Array.isArray(parts) || parts.length !== 4) return invalid;
  const [previewId, action, actorId, expiresAt] = parts as [string, string, string, number];
  if (action !== expected.action || actorId !== expected.actorId) {
    return { ok: false, problem: { code: "preview.mismatch", message: "This preview was made for another user or action. Open the action again." } };
  }
  if ((expected.now ?? Date.now()) > expiresAt) {
    return {
      ok: false,
      problem: {
        code: "preview.expired",
        message: "The preview has expired (previews are valid for 2 minutes). Open the action again to see what it would touch now.",
      },
    };
  }
  return { ok: true, claims: { previewId, action, actorId, expiresAt } };
}
