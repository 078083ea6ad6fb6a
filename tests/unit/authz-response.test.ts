/**
 * A refused API request (lib/recovery/access/authz.ts authzErrorResponse): a 401 names the accepted scheme
 * in WWW-Authenticate (RFC 9110 §11.6.1); a 403 does not.
 */
import { describe, expect, it, vi } from "vitest";

vi.mock("next/headers", () => ({ headers: async () => new Headers() }));
vi.mock("@/auth", () => ({ auth: async () => null }));

const { AuthzError, authzErrorResponse } = await import("@/lib/recovery/access/authz");

describe("authzErrorResponse", () => {
  it("carries WWW-Authenticate: Bearer on a 401", async () => {
    const res = authzErrorResponse(new AuthzError(401, "auth.required", "Sign in to continue."));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="recovery-console"');
    expect(await res.json()).toEqual({ error: { code: "auth.required", message: "Sign in to continue." } });
  });

  it("does not on a 403", () => {
    const res = authzErrorResponse(new AuthzError(403, "auth.forbidden", "no"));
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBeNull();
  });
});
