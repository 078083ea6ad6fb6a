/**
 * Who is the client? Decided once per request at the console's HTTP entry point
 * (scripts/console-server.ts), from the TCP socket, before Next sees the request.
 *
 * Why there: Next fills X-Forwarded-For with the socket's address only when the request has none
 * (`??=`), so a header the client sent survives and the socket's address is lost. Route handlers,
 * server actions and the sign-in callback see only headers. So the entry point computes the
 * address and overwrites X-Forwarded-For with exactly that one address; lib/auth/request-meta.ts
 * reads it for the audit and the sign-in throttle.
 *
 * Trust is off by default: the client is the socket's peer, and every forwarded header the client
 * sent (X-Forwarded-For/-Host/-Proto/-Port, X-Real-IP, Forwarded) is dropped, so Next derives
 * host and protocol from the connection itself. Behind a reverse proxy, turn it on with one of:
 *   - TRUSTED_PROXY_HOPS=n: n proxies are in front, each appending the address it received from;
 *     the client is the n-th address from the right of [X-Forwarded-For..., socket peer].
 *   - TRUSTED_PROXIES=10.0.0.0/8,2001:db8::/32: walk [X-Forwarded-For..., socket peer] from the
 *     right, skipping addresses inside these networks; the first one outside is the client. A peer
 *     outside them is the client itself, and its forwarded headers are dropped.
 * Entries further left than the trusted proxies were written by the client: never used.
 *
 * No server-only marker and no Next import: the entry point loads this before Next starts, and a
 * future standalone server can wrap its handler with applyClientAddress the same way.
 */
import net from "node:net";

export type ClientAddressPolicy = { mode: "socket" } | { mode: "hops"; hops: number } | { mode: "cidrs"; networks: net.BlockList; cidrs: readonly string[] };

/** Headers a client could use to claim another address, host or protocol. */
const FORWARDED_HEADERS = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "forwarded"] as const;

/** One IP address in canonical form (IPv4-mapped IPv6 unwrapped, brackets and zone dropped), or null. */
export function normalizeAddress(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let a = raw.trim();
  // "[::1]:443" or "[::1]" from some proxies; "1.2.3.4:5678" likewise.
  const bracketed = a.match(/^\[([^\]]+)\](?::\d+)?$/);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":"));
  a = a.replace(/%.*$/, "");
  const mapped = a.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) a = mapped[1]!;
  const family = net.isIP(a);
  if (family === 0) return null;
  return family === 6 ? a.toLowerCase() : a;
}

/** Parse TRUSTED_PROXIES ("10.0.0.0/8, 192.168.1.7, 2001:db8::/32"); throws naming the bad entry. */
export function parseTrustedProxies(raw: string): { networks: net.BlockList; cidrs: string[] } {
  const networks = new net.BlockList();
  const cidrs: string[] = [];
  for (const part of raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [addr = "", prefixText, extra] = part.split("/");
    const address = normalizeAddress(addr);
    const family = address ? net.isIP(address) : 0;
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!address || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new Error(`"${part}" is not an IP address or CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)`);
    }
    networks.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
    cidrs.push(`${address}/${prefix}`);
  }
  if (cidrs.length === 0) throw new Error("lists no network");
  return { networks, cidrs };
}

export function clientAddressPolicy(e: { TRUSTED_PROXY_HOPS?: number | undefined; TRUSTED_PROXIES?: string | undefined }): ClientAddressPolicy {
  if (e.TRUSTED_PROXIES) return { mode: "cidrs", ...parseTrustedProxies(e.TRUSTED_PROXIES) };
  if (e.TRUSTED_PROXY_HOPS) return { mode: "hops", hops: e.TRUSTED_PROXY_HOPS };
  return { mode: "socket" };
}

function isTrusted(address: string, networks: net.BlockList): boolean {
  return networks.check(address, net.isIP(address) === 4 ? "ipv4" : "ipv6");
}

/**
 * The client's address for a request that arrived from `socketAddress` carrying `forwardedFor`
 * (X-Forwarded-For, as node joins repeated headers). `trustedPeer` says whether the forwarded
 * headers come from a proxy we trust (then host and protocol headers are kept too).
 */
export function resolveClientAddress(
  socketAddress: string | null | undefined,
  forwardedFor: string | string[] | null | undefined,
  policy: ClientAddressPolicy,
): { address: string | null; trustedPeer: boolean } {
  const peer = normalizeAddress(socketAddress);
  if (policy.mode === "socket" || !peer) return { address: peer, trustedPeer: false };
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  const entries = header
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  // Nearest first: the socket's peer, then what each proxy appended, right to left.
  const chain = [peer, ...entries.reverse()];
  if (policy.mode === "hops") {
    // Walk past `hops` proxies; stop early at an entry that is not an address (a trusted proxy
    // never writes one, so it came from the client: the hop to its right is the client).
    let client = peer;
    for (let i = 1; i <= policy.hops && i < chain.length; i++) {
      const a = normalizeAddress(chain[i]);
      if (!a) break;
      client = a;
    }
    return { address: client, trustedPeer: true };
  }
  if (!isTrusted(peer, policy.networks)) return { address: peer, trustedPeer: false };
  let client = peer;
  for (let i = 1; i < chain.length; i++) {
    const a = normalizeAddress(chain[i]);
    if (!a) break;
    client = a;
    if (!isTrusted(a, policy.networks)) break;
  }
  return { address: client, trustedPeer: true };
}

/** The minimal request shape: node's IncomingMessage fits. */
export type EntryRequest = { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string | undefined } };

/**
 * Rewrite the request's headers in place, before Next sees it: X-Forwarded-For becomes exactly the
 * client's address (or is removed when unknown), and untrusted forwarded headers are dropped.
 */
export function applyClientAddress(req: EntryRequest, policy: ClientAddressPolicy): string | null {
  const { address, trustedPeer } = resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], policy);
  if (!trustedPeer) for (const h of FORWARDED_HEADERS) delete req.headers[h];
  delete req.headers["x-real-ip"];
  delete req.headers["forwarded"];
  if (address) req.headers["x-forwarded-for"] = address;
  else delete req.headers["x-forwarded-for"];
  return address;
}
