import { describe, expect, it } from "vitest";
import { signPreviewToken, verifyPreviewToken } from "@/lib/recovery/actions/preview-token";

const secret = "s".repeat(32);
const claims = { previewId: "p-1", action: "directives.cancel_stale", actorId: "u-1", expiresAt: 1_000_000 };

describe("preview tokens", () => {
  it("verifies a fresh token for the same user and action", () => {
    const t = signPreviewToken(claims, secret);
    expect(verifyPreviewToken(t, { action: claims.action, actorId: "u-1", now: 999_999 }, secret)).toEqual({ ok: true, claims });
  });

  it("refuses an expired token", () => {
    const t = signPreviewToken(claims, secret);
    expect(verifyPreviewToken(t, { action: claims.action, actorId: "u-1", now: 1_000_001 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.expired" },
    });
  });

  it("refuses a token bound to another user or action", () => {
    const t = signPreviewToken(claims, secret);
    expect(verifyPreviewToken(t, { action: claims.action, actorId: "u-2", now: 0 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.mismatch" },
    });
    expect(verifyPreviewToken(t, { action: "circuit.reset", actorId: "u-1", now: 0 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.mismatch" },
    });
  });

  it("refuses a tampered payload, a tampered signature and another secret", () => {
    const t = signPreviewToken(claims, secret);
    const [payload, mac] = t.split(".");
    const forged = Buffer.from(JSON.stringify(["p-1", claims.action, "u-1", 9_999_999_999_999])).toString("base64url");
    expect(verifyPreviewToken(`${forged}.${mac}`, { action: claims.action, actorId: "u-1", now: 0 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.invalid" },
    });
    expect(verifyPreviewToken(`${payload}.${mac!.slice(0, -2)}xx`, { action: claims.action, actorId: "u-1", now: 0 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.invalid" },
    });
    expect(verifyPreviewToken(t, { action: claims.action, actorId: "u-1", now: 0 }, "t".repeat(32))).toMatchObject({
      ok: false,
      problem: { code: "preview.invalid" },
    });
    expect(verifyPreviewToken("garbage", { action: claims.action, actorId: "u-1", now: 0 }, secret)).toMatchObject({
      ok: false,
      problem: { code: "preview.invalid" },
    });
  });

  it("refuses every one-character change of the signature, even where base64url decoding would not notice", () => {
    const t = signPreviewToken(claims, secret);
    const dot = t.indexOf(".");
    for (let i = dot + 1; i < t.length; i++) {
      const c = t[i]!;
      const forged = t.slice(0, i) + (c === "A" ? "B" : "A") + t.slice(i + 1);
      expect(verifyPreviewToken(forged, { action: claims.action, actorId: "u-1", now: 0 }, secret), `position ${i}`).toMatchObject({
        ok: false,
        problem: { code: "preview.invalid" },
      });
    }
  });
});
