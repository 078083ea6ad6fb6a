import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Auth } from "@auth/core";
import { decode, encode } from "@auth/core/jwt";
import authConfig from "@/auth.config";
import { forgetVerifiedTokens, renewSecondsFor, sessionTokenCodec, VERIFIED_MAX, verifiedRecently } from "@/lib/auth/session-token";

// The session cookie's codec (lib/auth/session-token.ts), through next-auth's own session read with
// the console's config (auth.config.ts): what the proxy and every authorization check run.
const SECRET = "a-test-secret-of-enough-length-1234567890";
const SALT = "authjs.session-token";
const T0 = 1_800_000_000_000; // ms

async function mint(claims: Record<string, unknown>, maxAge = 30 * 60): Promise<string> {
  return encode({
    token: { sub: "u1", email: "v@example.com", role: "viewer", sv: 1, amr: "password", sid: "s1", ...claims },
    secret: SECRET,
    salt: SALT,
    maxAge,
  });
}

/** One request to /api/auth/session with `cookie`: the session (or null) and the renewed cookie value. */
async function read(value: string): Promise<{ session: { user?: { id: string } } | null; cookie: string | undefined }> {
  const res = await Auth(new Request("http://localhost/api/auth/session", { headers: { cookie: `${SALT}=${value}` } }), {
    ...authConfig,
    basePath: "/api/auth",
    secret: SECRET,
    logger: { error: () => {}, warn: () => {}, debug: () => {} },
  });
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SALT}=`));
  return { session: (await res.json()) as never, cookie: set?.slice(SALT.length + 1).split(";")[0] };
}

describe("session cookie codec", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    forgetVerifiedTokens();
  });
  afterEach(() => vi.useRealTimers());

  it("keeps the cookie value while it is fresh, and renews it (lastSeen moved) once it is not", async () => {
    const now = T0 / 1000;
    const first = await mint({ startedAt: now, authTime: now, lastSeen: now });
    vi.setSystemTime(T0 + 20_000);
    const a = await read(first);
    expect(a.session?.user?.id).toBe("u1");
    expect(a.cookie).toBe(first);

    vi.setSystemTime(T0 + 61_000);
    const b = await read(first);
    expect(b.session?.user?.id).toBe("u1");
    expect(b.cookie).not.toBe(first);
    const renewed = await decode({ token: b.cookie!, secret: SECRET, salt: SALT });
    expect(renewed?.lastSeen).toBe(now + 61);
    expect(renewed?.startedAt).toBe(now);
  });

  it("gives a client that keeps no cookie the same renewal for a minute, not a new encryption each time", async () => {
    const now = T0 / 1000;
    const old = await mint({ startedAt: now, authTime: now, lastSeen: now });
    vi.setSystemTime(T0 + 61_000);
    const a = await read(old);
    vi.setSystemTime(T0 + 100_000);
    const b = await read(old);
    expect(a.cookie).not.toBe(old);
    expect(b.cookie).toBe(a.cookie);
    vi.setSystemTime(T0 + 122_000);
    const c = await read(old);
    expect(c.cookie).not.toBe(a.cookie);
    expect((await decode({ token: c.cookie!, secret: SECRET, salt: SALT }))?.lastSeen).toBe(now + 122);
  });

  it("still ends a session idle for SESSION_IDLE_MINUTES, though its value was verified before", async () => {
    const now = T0 / 1000;
    const value = await mint({ startedAt: now, authTime: now, lastSeen: now });
    expect((await read(value)).session?.user?.id).toBe("u1");
    vi.setSystemTime(T0 + (30 * 60 + 1) * 1000);
    const late = await read(value);
    expect(late.session).toBeNull();
    expect(late.cookie).toBe("");
  });

  it("never remembers a value that did not verify: a tampered cookie is refused every time", async () => {
    const now = T0 / 1000;
    const value = await mint({ startedAt: now, authTime: now, lastSeen: now });
    const tampered = value.slice(0, -4) + (value.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (let i = 0; i < 2; i++) expect((await read(tampered)).session).toBeNull();
    expect((await read(value)).session?.user?.id).toBe("u1");
  });

  it("re-encrypts at once when a claim other than lastSeen changed (e.g. a re-authentication)", async () => {
    const codec = sessionTokenCodec({ renewSeconds: 60, now: () => Date.now() });
    const now = T0 / 1000;
    const value = await mint({ startedAt: now, authTime: now, lastSeen: now });
    const same = await codec.decode({ token: value, secret: SECRET, salt: SALT });
    same!.lastSeen = now + 5;
    expect(await codec.encode({ token: same!, secret: SECRET, salt: SALT, maxAge: 1800 })).toBe(value);
    const changed = await codec.decode({ token: value, secret: SECRET, salt: SALT });
    changed!.authTime = now + 5;
    const out = await codec.encode({ token: changed!, secret: SECRET, salt: SALT, maxAge: 1800 });
    expect(out).not.toBe(value);
    expect((await decode({ token: out, secret: SECRET, salt: SALT }))?.authTime).toBe(now + 5);

    // The same with an older value, already renewed once: the change is not lost to that renewal.
    vi.setSystemTime(T0 + 61_000);
    const plain = await codec.decode({ token: value, secret: SECRET, salt: SALT });
    const renewal = await codec.encode({ token: plain!, secret: SECRET, salt: SALT, maxAge: 1800 });
    const again = await codec.decode({ token: value, secret: SECRET, salt: SALT });
    again!.authTime = now + 60;
    const reauth = await codec.encode({ token: again!, secret: SECRET, salt: SALT, maxAge: 1800 });
    expect(reauth).not.toBe(renewal);
    expect((await decode({ token: reauth, secret: SECRET, salt: SALT }))?.authTime).toBe(now + 60);
  });

  it("decrypts a known value once, and never past its own expiry", async () => {
    const codec = sessionTokenCodec({ renewSeconds: 60, now: () => Date.now() });
    const now = T0 / 1000;
    const value = await mint({ startedAt: now, authTime: now, lastSeen: now });
    const params = { token: value, secret: SECRET, salt: SALT };
    expect((await codec.decode(params))?.sub).toBe("u1");
    // The same value under another secret would not decrypt: a second answer without decrypting proves the memo.
    expect((await codec.decode({ ...params, secret: "another-secret-entirely-0123456789abcdef" }))?.sub).toBe("u1");
    vi.setSystemTime(T0 + 31 * 60 * 1000); // past exp (30 min) and jose's 15 s tolerance
    await expect(codec.decode({ ...params, secret: "another-secret-entirely-0123456789abcdef" })).rejects.toThrow();
    // The real decoder decides past expiry: it refuses the token.
    await expect(codec.decode(params)).rejects.toThrow(/"exp" claim/);

    // A token that expires sooner than the memo's own limit (5 min): its expiry still rules.
    vi.setSystemTime(T0);
    const short = { token: await mint({ startedAt: now, authTime: now, lastSeen: now }, 60), secret: SECRET, salt: SALT };
    expect((await codec.decode(short))?.sub).toBe("u1");
    vi.setSystemTime(T0 + 120_000);
    await expect(codec.decode(short)).rejects.toThrow(/"exp" claim/);
  });

  it("lets the proxy skip next-auth only for a value this process verified and issued less than a renewal ago", async () => {
    const now = T0 / 1000;
    const first = await mint({ startedAt: now, authTime: now, lastSeen: now });
    // Never seen here: the proxy asks next-auth.
    expect(verifiedRecently(first, SALT, 60)).toBeNull();
    await read(first);
    expect(verifiedRecently(first, SALT, 60)).toMatchObject({ sub: "u1", sid: "s1" });
    // Another cookie name (a chunk, the __Secure- form) is another salt.
    expect(verifiedRecently(first, `__Secure-${SALT}`, 60)).toBeNull();
    // Due for renewal: next-auth again, which re-encrypts it.
    vi.setSystemTime(T0 + 60_000);
    expect(verifiedRecently(first, SALT, 60)).toBeNull();
    // A tampered value never verified, so it never skips.
    const tampered = `${first.slice(0, -4)}AAAA`;
    await read(tampered);
    expect(verifiedRecently(tampered, SALT, 60)).toBeNull();
  });

  it("keeps at most VERIFIED_MAX values, and renews at most once a minute (a tenth of a short idle timeout)", () => {
    expect(VERIFIED_MAX).toBeLessThanOrEqual(10_000);
    expect(renewSecondsFor(30 * 60)).toBe(60);
    expect(renewSecondsFor(60)).toBe(6);
  });
});
