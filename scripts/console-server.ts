/**
 * The console's HTTP entry point, used instead of `next start` by every launcher (`npm start`,
 * `npm run demo`, the e2e world, the bench and the drills all go through
 * scripts/lib/stack.ts startConsole). It is Next's documented custom server (`next()` +
 * getRequestHandler() in a node http server) with one addition: before Next sees a request, the
 * client's address is decided from the TCP socket, and from forwarded headers only when trust in
 * proxies is configured (lib/auth/client-address.ts). Next alone keeps a client-sent
 * X-Forwarded-For and loses the socket's address, which let any client pick the address the
 * audit and the sign-in throttle saw.
 *
 * Run with the production build in NEXT_DIST_DIR (default .next):
 *   NODE_ENV=production PORT=3000 node --import tsx scripts/console-server.ts
 * Env: PORT (3000), TRUSTED_PROXY_HOPS / TRUSTED_PROXIES, and the console's own (.env.example).
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { applyClientAddress, clientAddressPolicy, type ClientAddressPolicy } from "../lib/auth/client-address.ts";
import { ConfigError, parseEnv } from "../lib/env.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function policyFromEnv(): ClientAddressPolicy {
  try {
    return clientAddressPolicy(parseEnv(process.env));
  } catch (err) {
    // The same message lib/server-start.ts gives, before anything listens.
    console.error(`\n[recovery-console] ${err instanceof ConfigError ? err.message : String(err)}\n\nSee .env.example for every variable.\n`);
    process.exit(1);
  }
}
const policy = policyFromEnv();

// All interfaces, as `next start` does. (Not $HOSTNAME: containers set it to their own name.)
const port = Number(process.env.PORT || 3000);
const app = next({ dev: false, dir: root, port, hostname: "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

// Behind a reverse proxy with no trust configured, every client would share the proxy's address
// (one throttle key for all, the proxy's IP in the audit): say so once, naming the settings.
let warned = false;
function warnUntrustedForwarding(req: http.IncomingMessage) {
  if (warned || policy.mode !== "socket" || !req.headers["x-forwarded-for"]) return;
  warned = true;
  console.warn(
    "[recovery-console] a request carried X-Forwarded-For, which is ignored: the client is the connection's peer. " +
      "If the console runs behind a reverse proxy, set TRUSTED_PROXY_HOPS or TRUSTED_PROXIES (docs/security.md, Sign-in protections).",
  );
}

const server = http.createServer((req, res) => {
  warnUntrustedForwarding(req);
  applyClientAddress(req, policy);
  handle(req, res).catch((err: unknown) => {
    console.error(`[recovery-console] request failed: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) res.statusCode = 500;
    res.end();
  });
});

// Stop accepting, let requests in flight finish, then let Next clean up (as `next start` does).
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close(() => {
      void app.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
    server.closeIdleConnections();
  });
}

server.listen(port, () => {
  console.log(`[recovery-console] listening on port ${port} (client address: ${policy.mode === "socket" ? "socket peer, no forwarded header trusted" : policy.mode === "hops" ? `${policy.hops} trusted proxy hop(s)` : `trusted proxies ${policy.cidrs.join(", ")}`})`);
});
