/**
 * The session cookie's codec (auth.config.ts `jwt`): next-auth's own encrypted JWT (JWE, A256CBC-HS512,
 * its key derived by HKDF), with the work it repeats on every signed-in request done once.
 *
 * Without this, each request with a session cookie decrypts it twice (the proxy's session read and the
 * handler's authorization, lib/recovery/access/authz.ts) and encrypts a renewed one twice, several ms
 * of CPU a request: 1,000 dashboards polling every 5 s took the console's two cores (issue 16). Now:
 *   - decode: a cookie value this process decrypted and verified before is answered from a bounded
 *     map, until the token's own expiry (after it, the real decoder decides, with its clock tolerance).
 *     Only successful verifications are kept, keyed by the exact value, so nothing unverified passes.
 *   - encode (the renewal): a token issued less than `renewSeconds` ago, whose claims are unchanged
 *     but for `lastSeen`, is handed back as it is, instead of encrypted anew; an older one gets the
 *     renewal this process issued for the same value in the last `renewSeconds`, if any. next-auth
 *     still sets the cookie with a fresh expiry; the token's `lastSeen` moves at most once per
 *     `renewSeconds`.
 *
 * The session rules themselves (auth.config.ts jwt callback, lib/auth/session-policy.ts) still run on
 * every request. What changes: a session used continuously and then left alone ends between
 * SESSION_IDLE_MINUTES − renewSeconds and SESSION_IDLE_MINUTES after its last request (renewSeconds:
 * 60 s, or a tenth of the idle timeout when that is shorter).
 *
 * No imports but @auth/core's: the proxy loads this.
 */
import { decode as jweDecode, encode as jweEncode, type JWT, type JWTDecodeParams, type JWTEncodeParams } from "@auth/core/jwt";

/** How many verified cookie values a process keeps (a few per signed-in user; oldest dropped first). */
export const VERIFIED_MAX = 10_000;
/** A verified value is forgotten after this long even before its expiry (it is renewed within it). */
const VERIFIED_MS = 5 * 60_000;

/** Where a decoded token came from: its cookie value and the payload as verified. */
const ORIGIN = Symbol.for("rc.session-token.origin");
type Origin = { token: string; salt: string; payload: JWT };
type Verified = { payload: JWT; until: number };
type Renewal = { token: string; claims: JWT; at: number };

// One map each for the process: the proxy and the route handlers are separate bundles of this module.
const g = globalThis as unknown as { __rcVerifiedTokens?: Map<string, Verified>; __rcRenewedTokens?: Map<string, Renewal> };
const verified = (g.__rcVerifiedTokens ??= new Map());
/** The renewal last issued for a cookie value: the answer for the same value again within renewSeconds. */
const renewed = (g.__rcRenewedTokens ??= new Map());

/** For tests: forget every verified cookie value and renewal. */
export function forgetVerifiedTokens(): void {
  verified.clear();
  renewed.clear();
}

function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > VERIFIED_MAX) map.delete(map.keys().next().value!);
}

/** How often a session in use gets a newly encrypted token: 60 s, or a tenth of the idle timeout if shorter. */
export function renewSecondsFor(idleSeconds: number): number {
  return Math.max(1, Math.min(60, Math.floor(idleSeconds / 10)));
}

function remember(key: string, payload: JWT, now: number): void {
  const exp = typeof payload.exp === "number" ? payload.exp * 1000 : now;
  const until = Math.min(now + VERIFIED_MS, exp);
  if (until > now) bounded(verified, key, { payload, until });
}

/** The same claims but for the ones a renewal moves. */
function sameClaims(a: JWT, b: JWT): boolean {
  const moving = new Set(["lastSeen", "iat", "exp", "jti"]);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (moving.has(k)) continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  }
  return true;
}

/**
 * For the proxy: the payload of a session cookie value this process has verified, if it is not yet
 * due for renewal (issued less than `renewSeconds` ago), else null. The proxy then skips next-auth's
 * session request: it would hand back this same value (encode, above), and the proxy grants nothing
 * (every page and handler authorizes again). Only the cookie's own expiry is then not pushed
 * forward on that response; it is at the next renewal, within `renewSeconds`.
 */
export function verifiedRecently(token: string, salt: string, renewSeconds: number, now: number = Date.now()): JWT | null {
  const hit = verified.get(`${salt}\u0000${token}`);
  if (!hit || now >= hit.until) return null;
  const iat = hit.payload.iat;
  const age = typeof iat === "number" ? now / 1000 - iat : Infinity;
  return age >= 0 && age < renewSeconds ? hit.payload : null;
}

export function sessionTokenCodec(opts: { renewSeconds: number; now?: () => number }) {
  const now = opts.now ?? (() => Date.now());
  return {
    async decode(params: JWTDecodeParams): Promise<JWT | null> {
      const { token, salt } = params;
      if (!token) return null;
      const key = `${salt}\u0000${token}`;
      const t = now();
      const hit = verified.get(key);
      let payload: JWT;
      if (hit && t < hit.until) {
        payload = hit.payload;
      } else {
        if (hit) verified.delete(key);
        const fresh = await jweDecode(params);
        if (!fresh) return null;
        remember(key, fresh, t);
        payload = fresh;
      }
      // The session callbacks change the token they are given: a copy, never the kept one.
      const copy = structuredClone(payload);
      Object.defineProperty(copy, ORIGIN, { value: { token, salt, payload } satisfies Origin, enumerable: false });
      return copy;
    },
    async encode(params: JWTEncodeParams): Promise<string> {
      const origin = (params.token as Record<symbol, Origin | undefined> | undefined)?.[ORIGIN];
      if (!origin || origin.salt !== params.salt || !params.token) return jweEncode(params);
      const t = now();
      const iat = origin.payload.iat;
      const age = typeof iat === "number" ? t / 1000 - iat : Infinity;
      if (age >= 0 && age < opts.renewSeconds && sameClaims(origin.payload, params.token)) return origin.token;
      // The same old value again (a second tab's request in flight, a client that keeps no cookies,
      // the handler's own session read after the proxy's): the renewal already issued for it.
      const key = `${origin.salt}\u0000${origin.token}`;
      const last = renewed.get(key);
      if (last && t - last.at >= 0 && t - last.at < opts.renewSeconds * 1000 && sameClaims(last.claims, params.token)) return last.token;
      const token = await jweEncode(params);
      bounded(renewed, key, { token, claims: structuredClone(params.token), at: t });
      return token;
    },
  };
}
