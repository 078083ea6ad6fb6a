import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, isHttps, newNonce, securityHeaders } from "@/lib/auth/security-headers";

describe("security headers", () => {
  it("production CSP: a nonce with strict-dynamic, no unsafe-eval, no framing", () => {
    const csp = contentSecurityPolicy({ nonce: "abc123==", dev: false, https: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(csp).not.toContain("upgrade-insecure-requests");
  });

  it("allows eval only in development", () => {
    expect(contentSecurityPolicy({ nonce: "n", dev: true, https: false })).toContain("'unsafe-eval'");
  });

  it("lets a sign-in form reach the SSO provider", () => {
    expect(contentSecurityPolicy({ nonce: "n", dev: false, https: true, formActionOrigins: ["https://idp.example.com"] })).toContain(
      "form-action 'self' https://idp.example.com",
    );
  });

  it("adds HSTS only over https, and always nosniff and same-origin referrers", () => {
    const http = securityHeaders({ nonce: "n", dev: false, https: false });
    expect(http["Strict-Transport-Security"]).toBeUndefined();
    expect(http["X-Content-Type-Options"]).toBe("nosniff");
    expect(http["Referrer-Policy"]).toBe("same-origin");
    const https = securityHeaders({ nonce: "n", dev: false, https: true });
    expect(https["Strict-Transport-Security"]).toMatch(/^max-age=\d{8}/);
    expect(https["Content-Security-Policy"]).toContain("upgrade-insecure-requests");
  });

  it("decides https from the configured public URL, else from the request", () => {
    expect(isHttps({ CONSOLE_PUBLIC_URL: "https://recovery.example.com" }, "http:")).toBe(true);
    expect(isHttps({ CONSOLE_PUBLIC_URL: "http://localhost:3000" }, "https")).toBe(false);
    expect(isHttps({}, "https")).toBe(true);
    expect(isHttps({}, "http:")).toBe(false);
  });

  it("makes a fresh, unguessable nonce each time", () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(a);
  });
});
