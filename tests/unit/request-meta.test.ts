/**
 * The client's address: decided at the console's entry point from the socket
 * (lib/auth/client-address.ts, used by scripts/console-server.ts), then read by
 * lib/auth/request-meta.ts for the audit and the sign-in throttle. The HTTP cases run a real
 * node http server with the entry point's own rewrite, and a client that forges headers.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyClientAddress,
  clientAddressPolicy,
  normalizeAddress,
  parseTrustedProxies,
  resolveClientAddress,
  type ClientAddressPolicy,
} from "@/lib/auth/client-address";
import { clientAddress, requestMetaFrom } from "@/lib/auth/request-meta";
import { ConfigError, parseEnv } from "@/lib/env";

const socket = clientAddressPolicy({});
const hops = (n: number) => clientAddressPolicy({ TRUSTED_PROXY_HOPS: n });
const cidrs = (list: string) => clientAddressPolicy({ TRUSTED_PROXIES: list });

describe("client address from the socket and, only when trusted, the forwarded chain", () => {
  it("by default is the socket's peer, whatever X-Forwarded-For says", () => {
    expect(resolveClientAddress("203.0.113.9", "6.6.6.6", socket)).toEqual({ address: "203.0.113.9", trustedPeer: false });
    expect(resolveClientAddress("::ffff:127.0.0.1", "6.6.6.6, 7.7.7.7", socket).address).toBe("127.0.0.1");
  });

  it("with TRUSTED_PROXY_HOPS counts proxies from the right of [X-Forwarded-For…, peer]", () => {
    expect(resolveClientAddress("10.0.0.2", "6.6.6.6, 203.0.113.9", hops(1)).address).toBe("203.0.113.9");
    expect(resolveClientAddress("10.0.0.3", "6.6.6.6, 203.0.113.9, 10.0.0.2", hops(2)).address).toBe("203.0.113.9");
    // No header: the request did not come through the proxy; its peer is the client.
    expect(resolveClientAddress("198.51.100.4", undefined, hops(1)).address).toBe("198.51.100.4");
    // An entry that is no address was written by the client: the hop to its right is the client.
    expect(resolveClientAddress("10.0.0.3", "6.6.6.6, junk, 10.0.0.2", hops(2)).address).toBe("10.0.0.2");
  });

  it("with TRUSTED_PROXIES skips trusted networks from the right; an untrusted peer is the client", () => {
    const p = cidrs("10.0.0.0/8, 2001:db8::/32");
    expect(resolveClientAddress("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.1.1.1", p)).toEqual({ address: "203.0.113.9", trustedPeer: true });
    expect(resolveClientAddress("2001:db8::7", "203.0.113.9", p).address).toBe("203.0.113.9");
    expect(resolveClientAddress("198.51.100.4", "6.6.6.6", p)).toEqual({ address: "198.51.100.4", trustedPeer: false });
    // Every hop trusted: the leftmost is the best we know.
    expect(resolveClientAddress("10.0.0.2", "10.9.9.9", p).address).toBe("10.9.9.9");
  });

  it("normalizes addresses and parses the CIDR list, naming a bad entry", () => {
    expect(normalizeAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("[2001:DB8::1]:443")).toBe("2001:db8::1");
    expect(normalizeAddress("192.0.2.1:5678")).toBe("192.0.2.1");
    expect(normalizeAddress("not an ip")).toBeNull();
    expect(parseTrustedProxies("10.0.0.0/8,192.168.1.7").cidrs).toEqual(["10.0.0.0/8", "192.168.1.7/32"]);
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/"10.0.0.0\/33" is not/);
    expect(() => parseTrustedProxies("proxy.internal")).toThrow(/is not an IP/);
  });

  it("is configured by TRUSTED_PROXY_HOPS (at least 1) or TRUSTED_PROXIES, not both", () => {
    const problems = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
    };
    expect(parseEnv({}).TRUSTED_PROXY_HOPS).toBeUndefined();
    expect(problems({ TRUSTED_PROXY_HOPS: "0" })[0]).toMatch(/^TRUSTED_PROXY_HOPS:/);
    expect(problems({ TRUSTED_PROXIES: "10.0.0.0/99" })[0]).toMatch(/^TRUSTED_PROXIES: "10.0.0.0\/99" is not/);
    expect(problems({ TRUSTED_PROXIES: "10.0.0.0/8", TRUSTED_PROXY_HOPS: "1" })[0]).toMatch(/either TRUSTED_PROXY_HOPS or TRUSTED_PROXIES/);
  });

  it("request metadata reads the one address the entry point wrote, never X-Real-IP", () => {
    expect(clientAddress("203.0.113.9")).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 203.0.113.9")).toBe("203.0.113.9");
    expect(clientAddress(null)).toBeNull();
    expect(requestMetaFrom(new Headers({ "x-real-ip": "6.6.6.6" })).ip).toBeNull();
  });
});

describe("over real HTTP, a forged X-Forwarded-For", () => {
  // What Next would see: the request's headers after the entry point's rewrite.
  let seen: { meta: ReturnType<typeof requestMetaFrom>; headers: http.IncomingHttpHeaders };
  let policy: ClientAddressPolicy = socket;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      applyClientAddress(req, policy);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      seen = { meta: requestMetaFrom(headers, "/login"), headers: req.headers };
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (headers: Record<string, string>) => fetch(`${base}/login`, { headers, signal: AbortSignal.timeout(5000) }).then((r) => r.text());

  it("does not change the audited address by default, and host or protocol headers are dropped", async () => {
    policy = clientAddressPolicy({});
    await send({ "x-forwarded-for": "6.6.6.6", "x-real-ip": "7.7.7.7", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect(seen.meta.ip).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-host"]).toBeUndefined();
    expect(seen.headers["x-forwarded-proto"]).toBeUndefined();
    expect(seen.headers["x-real-ip"]).toBeUndefined();
    // Rotating the header changes nothing: one client, one throttle key.
    await send({ "x-forwarded-for": "8.8.8.8" });
    expect(seen.meta.ip).toBe("127.0.0.1");
  });

  it("does, once the proxy in front is trusted (by hops or by network)", async () => {
    policy = clientAddressPolicy({ TRUSTED_PROXY_HOPS: 1 });
    await send({ "x-forwarded-for": "1.1.1.1, 203.0.113.9", "x-forwarded-proto": "https" });
    expect(seen.meta.ip).toBe("203.0.113.9");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");

    policy = clientAddressPolicy({ TRUSTED_PROXIES: "127.0.0.0/8" });
    await send({ "x-forwarded-for": "1.1.1.1, 203.0.113.9" });
    expect(seen.meta.ip).toBe("203.0.113.9");

    policy = clientAddressPolicy({ TRUSTED_PROXIES: "10.0.0.0/8" });
    await send({ "x-forwarded-for": "203.0.113.9" });
    expect(seen.meta.ip).toBe("127.0.0.1");
  });
});
