/**
 * The proxy does two things, and grants nothing:
 *   1. redirects anonymous browsers to /login;
 *   2. sets the security headers, with a fresh CSP nonce per request (lib/auth/security-headers.ts).
 * Every page, route handler and server action checks authorization itself (lib/recovery/authz.ts),
 * because a proxy can be bypassed (CVE-2025-29927: the x-middleware-subrequest header).
 */
import NextAuth from "next-auth";
import { NextResponse } from "next/server";
import authConfig from "./auth.config.ts";
import { isHttps, newNonce, securityHeaders } from "./lib/auth/security-headers.ts";

const { auth } = NextAuth(authConfig);

// /reference: a static page and route with no data, the baselines `npm run bench` compares against.
const PUBLIC = [/^\/login(\/|$)/, /^\/api\//, /^\/healthz$/, /^\/reference(\/|$)/, /^\/_next\//, /^\/favicon/];

/** The SSO provider's origin: a sign-in form redirects there (CSP form-action). */
const formActionOrigins = (() => {
  try {
    return process.env.OIDC_ISSUER ? [new URL(process.env.OIDC_ISSUER).origin] : [];
  } catch {
    return [];
  }
})();

export const proxy = auth((req) => {
  const { pathname, search } = req.nextUrl;
  const nonce = newNonce();
  const headers = securityHeaders({
    nonce,
    dev: process.env.NODE_ENV === "development",
    https: isHttps(process.env, req.headers.get("x-forwarded-proto") ?? req.nextUrl.protocol),
    formActionOrigins,
  });

  let res: Response;
  if (req.auth || PUBLIC.some((re) => re.test(pathname))) {
    // Next reads the nonce from the request's CSP header and applies it to its own scripts.
    const requestHeaders = new Headers(req.headers);
    requestHeaders.set("content-security-policy", headers["Content-Security-Policy"]!);
    requestHeaders.set("x-nonce", nonce);
    res = NextResponse.next({ request: { headers: requestHeaders } });
  } else {
    const url = new URL("/login", req.nextUrl);
    if (pathname !== "/") url.searchParams.set("callbackUrl", pathname + search);
    res = NextResponse.redirect(url);
  }
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
});

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
