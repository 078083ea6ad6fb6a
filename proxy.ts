/**
 * The proxy does three things, and grants nothing:
 *   1. redirects anonymous browsers to /login;
 *   2. sets the security headers, with a fresh CSP nonce per request (lib/auth/security-headers.ts);
 *   3. answers a malformed or oversized server-action request with a 4xx before Next decodes it
 *      (lib/http/action-request.ts: Next 16 would answer it with a 500), and so a URL whose
 *      percent-encoding does not decode.
 * Every page, route handler and server action checks authorization itself (lib/recovery/access/authz.ts),
 * because a proxy can be bypassed (CVE-2025-29927: the x-middleware-subrequest header).
 */
import NextAuth from "next-auth";
import { NextResponse, type NextFetchEvent, type NextRequest } from "next/server";
import authConfig, { sessionPolicy } from "./auth.config.ts";
import { epochSeconds, sessionVerdict } from "./lib/auth/session-policy.ts";
import { renewSecondsFor, verifiedRecently } from "./lib/auth/session-token.ts";
import { isHttps, newNonce, securityHeaders } from "./lib/auth/security-headers.ts";
import { checkActionRequest, checkPath } from "./lib/http/action-request.ts";

const { auth } = NextAuth(authConfig);
const RENEW_SECONDS = renewSecondsFor(sessionPolicy.idleSeconds);

// /reference: a static page and route with no data, the baselines `npm run bench` compares against.
const PUBLIC = [/^\/login(\/|$)/, /^\/api\//, /^\/healthz$/, /^\/readyz$/, /^\/reference(\/|$)/, /^\/_next\//, /^\/favicon/, /^\/robots\.txt$/];

/**
 * With STATUS_PUBLIC=1 (lib/env.ts) the stakeholder status page is let through without a session;
 * the page decides access itself (lib/recovery/data.ts readStatus), as its API and Atom feed under
 * /api/status do.
 */
const STATUS_PAGES = ["1", "true", "yes", "on"].includes(process.env.STATUS_PUBLIC ?? "") ? [/^\/status$/] : [];

/** The SSO provider's origin: a sign-in form redirects there (CSP form-action). */
const formActionOrigins = (() => {
  try {
    return process.env.OIDC_ISSUER ? [new URL(process.env.OIDC_ISSUER).origin] : [];
  } catch {
    return [];
  }
})();

/** The response for a request, signed in or not: pass on (with the CSP nonce) or send to /login. */
function respond(req: NextRequest, signedIn: boolean): Response {
  const { pathname, search } = req.nextUrl;
  const nonce = newNonce();
  const headers = securityHeaders({
    nonce,
    dev: process.env.NODE_ENV === "development",
    https: isHttps(process.env, req.headers.get("x-forwarded-proto") ?? req.nextUrl.protocol),
    formActionOrigins,
  });

  let res: Response;
  if (signedIn || PUBLIC.some((re) => re.test(pathname)) || STATUS_PAGES.some((re) => re.test(pathname))) {
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
}

/** next-auth's session cookie (`__Secure-` over https; `.0`, `.1`… when chunked). */
const SESSION_COOKIE = /^(__Secure-)?authjs\.session-token(\.\d+)?$/;

// With a session cookie, next-auth reads (and renews) the session, as every signed-in request needs.
// As middleware, Next calls it with the request and the fetch event (typed for route handlers).
const withSession = auth((req) => respond(req, !!req.auth)) as unknown as (req: NextRequest, ev: NextFetchEvent) => Promise<Response>;

/**
 * A request without a session cookie has no session to read or renew, so next-auth's session
 * lookup (a whole auth request, most of the proxy's cost) is skipped: machine readers with a bearer
 * token, EA heartbeats, liveness probes and anonymous visitors go straight on, or to /login.
 */
export async function proxy(req: NextRequest, ev: NextFetchEvent) {
  const malformed = checkPath(req.nextUrl.pathname);
  if (malformed || (req.method === "POST" && req.headers.has("next-action"))) {
    // A copy of the body: Next keeps the original for the action.
    const refused = malformed ?? (await checkActionRequest(req.clone()));
    if (refused) {
      const headers = securityHeaders({
        nonce: newNonce(),
        dev: process.env.NODE_ENV === "development",
        https: isHttps(process.env, req.headers.get("x-forwarded-proto") ?? req.nextUrl.protocol),
        formActionOrigins,
      });
      for (const [k, v] of Object.entries(headers)) refused.headers.set(k, v);
      return refused;
    }
  }
  const sessionCookies = req.cookies.getAll().filter((c) => SESSION_COOKIE.test(c.name));
  if (sessionCookies.length === 0) return respond(req, false);
  // A session cookie this process verified and renewed less than a minute ago: next-auth would
  // answer with the same cookie (lib/auth/session-token.ts), so its whole session request is
  // skipped. The session rules still decide; the page or handler authorizes as always.
  const [only] = sessionCookies;
  if (sessionCookies.length === 1 && only) {
    const payload = verifiedRecently(only.value, only.name, RENEW_SECONDS);
    if (payload && sessionVerdict(payload, epochSeconds(), sessionPolicy).ok) return respond(req, true);
  }
  return withSession(req, ev);
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
