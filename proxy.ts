/**
 * The proxy only redirects anonymous browsers to /login. It grants nothing: every page,
 * route handler and server action checks authorization itself (lib/recovery/authz.ts),
 * because a proxy can be bypassed (CVE-2025-29927).
 */
import NextAuth from "next-auth";
import authConfig from "./auth.config.ts";

const { auth } = NextAuth(authConfig);

const PUBLIC = [/^\/login(\/|$)/, /^\/api\//, /^\/healthz$/, /^\/_next\//, /^\/favicon/];

export const proxy = auth((req) => {
  const { pathname, search } = req.nextUrl;
  if (req.auth || PUBLIC.some((re) => re.test(pathname))) return;
  const url = new URL("/login", req.nextUrl);
  if (pathname !== "/") url.searchParams.set("callbackUrl", pathname + search);
  return Response.redirect(url);
});

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
