/**
 * Sudo mode's proof of re-authentication, carried into the JWT by next-auth's `update`.
 *
 * next-auth's session update runs the jwt callback with data the *client* may choose: anyone
 * signed in can POST /api/auth/session with a CSRF token and any JSON. So the callback never
 * takes a time from that data. It accepts only a ticket minted on the server after the password
 * was checked again (app/login/reauth-actions.ts): an HMAC over the user id and the time, under a
 * key derived from AUTH_SECRET, valid for 60 s. A replayed ticket can only set the same time again.
 *
 * Web Crypto only, no node: imports: auth.config.ts (which verifies tickets) also runs in the proxy.
 */

export type ReauthClaims = { sub: string; authTime: number; method: "password" | "sso" };

const TICKET_TTL_SECONDS = 60;
const LABEL = "recovery-console:reauth-ticket:v1";

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function key(secret: string): Promise<CryptoKey> {
  const enc = new TextEncoder();
  // A key of its own, derived from AUTH_SECRET, so a ticket is never confused with a session token.
  const base = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = new Uint8Array(await crypto.subtle.sign("HMAC", base, enc.encode(LABEL)));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function secretFrom(secret?: string): string {
  const s = secret ?? process.env.AUTH_SECRET;
  if (!s) throw new Error("AUTH_SECRET is not set");
  return s;
}

/** Mint a ticket for `sub`, re-authenticated at `now` (epoch seconds). */
export async function mintReauthTicket(claims: ReauthClaims, opts: { secret?: string } = {}): Promise<string> {
  const body = new TextEncoder().encode(JSON.stringify({ sub: claims.sub, at: claims.authTime, m: claims.method, exp: claims.authTime + TICKET_TTL_SECONDS }));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await key(secretFrom(opts.secret)), body));
  return `${b64url(body)}.${b64url(sig)}`;
}

/**
 * The claims of a valid ticket for `sub` at `now` (epoch seconds), or null: wrong signature,
 * another user's ticket, expired, or from the future.
 */
export async function verifyReauthTicket(ticket: unknown, sub: string | undefined, now: number, opts: { secret?: string } = {}): Promise<ReauthClaims | null> {
  if (typeof ticket !== "string" || !sub || ticket.length > 1000) return null;
  const [bodyPart, sigPart, extra] = ticket.split(".");
  if (!bodyPart || !sigPart || extra !== undefined) return null;
  try {
    const body = fromB64url(bodyPart);
    const ok = await crypto.subtle.verify("HMAC", await key(secretFrom(opts.secret)), fromB64url(sigPart), body);
    if (!ok) return null;
    const c = JSON.parse(new TextDecoder().decode(body)) as { sub?: unknown; at?: unknown; m?: unknown; exp?: unknown };
    if (c.sub !== sub || typeof c.at !== "number" || typeof c.exp !== "number") return null;
    if (now > c.exp || c.at > now + 60) return null;
    return { sub, authTime: c.at, method: c.m === "sso" ? "sso" : "password" };
  } catch {
    return null;
  }
}
