import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JWT } from "@auth/core/jwt";
import { mintReauthTicket } from "@/lib/auth/reauth-ticket";
import { isRecentAuth, secureCookiesFromEnv, sessionPolicyFromEnv, sessionVerdict } from "@/lib/auth/session-policy";

const policy = { idleSeconds: 30 * 60, absoluteSeconds: 12 * 3600, sudoSeconds: 15 * 60 };
const T0 = 1_800_000_000; // epoch seconds: the sign-in

describe("session policy (pure, injected clock)", () => {
  it("keeps a session used within the idle timeout", () => {
    expect(sessionVerdict({ startedAt: T0, lastSeen: T0 + 3600 }, T0 + 3600 + 29 * 60, policy)).toEqual({ ok: true });
  });

  it("ends a session idle for longer than SESSION_IDLE_MINUTES", () => {
    expect(sessionVerdict({ startedAt: T0, lastSeen: T0 }, T0 + 30 * 60 + 1, policy)).toEqual({ ok: false, reason: "idle" });
  });

  it("ends a session 12 hours after sign-in however active it is", () => {
    const now = T0 + 12 * 3600 + 1;
    expect(sessionVerdict({ startedAt: T0, lastSeen: now - 5 }, now, policy)).toEqual({ ok: false, reason: "absolute" });
  });

  it("counts the absolute limit from sign-in, not from a later re-authentication", () => {
    const now = T0 + 12 * 3600 + 1;
    expect(sessionVerdict({ startedAt: T0, authTime: now - 60, lastSeen: now - 5 }, now, policy)).toEqual({ ok: false, reason: "absolute" });
  });

  it("refuses a token without a start time or from the future", () => {
    expect(sessionVerdict({}, T0, policy)).toEqual({ ok: false, reason: "malformed" });
    expect(sessionVerdict({ startedAt: T0 + 3600 }, T0, policy)).toEqual({ ok: false, reason: "malformed" });
  });

  it("reads the limits from the environment, with the issue's defaults", () => {
    expect(sessionPolicyFromEnv({})).toEqual(policy);
    expect(sessionPolicyFromEnv({ SESSION_IDLE_MINUTES: "5", SESSION_MAX_HOURS: "1", SUDO_MAX_AGE_MINUTES: "2" })).toEqual({
      idleSeconds: 300,
      absoluteSeconds: 3600,
      sudoSeconds: 120,
    });
  });

  it("sudo mode: a sign-in within 15 minutes is recent, older or missing is not", () => {
    expect(isRecentAuth(T0, T0 + 15 * 60, policy.sudoSeconds)).toBe(true);
    expect(isRecentAuth(T0, T0 + 15 * 60 + 1, policy.sudoSeconds)).toBe(false);
    expect(isRecentAuth(0, T0, policy.sudoSeconds)).toBe(false);
    expect(isRecentAuth(undefined, T0, policy.sudoSeconds)).toBe(false);
    expect(isRecentAuth(T0 + 3600, T0, policy.sudoSeconds)).toBe(false);
  });

  it("derives Secure cookies from the public URL's protocol", () => {
    expect(secureCookiesFromEnv({ CONSOLE_PUBLIC_URL: "https://recovery.example.com" })).toBe(true);
    expect(secureCookiesFromEnv({ AUTH_URL: "https://recovery.example.com/api/auth" })).toBe(true);
    expect(secureCookiesFromEnv({ CONSOLE_PUBLIC_URL: "http://localhost:3000" })).toBe(false);
    expect(secureCookiesFromEnv({})).toBeUndefined();
  });
});

describe("the JWT callback (auth.config.ts) with a moved clock", () => {
  const secret = "s".repeat(40);
  let jwt: (args: Record<string, unknown>) => Promise<JWT | null>;

  beforeEach(async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0 * 1000);
    process.env.AUTH_SECRET = secret;
    const config = (await import("@/auth.config")).default;
    jwt = config.callbacks.jwt as never;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function signIn(): Promise<JWT> {
    const token = await jwt({ token: { sub: "u1" }, user: { id: "u1", role: "oncall", sessionVersion: 3, authMethod: "password" } });
    expect(token).not.toBeNull();
    return token!;
  }

  it("stamps a sign-in with its start, auth time, role and session version", async () => {
    const token = await signIn();
    expect(token).toMatchObject({ sub: "u1", role: "oncall", sv: 3, amr: "password", authTime: T0, startedAt: T0, lastSeen: T0 });
  });

  it("renews the idle clock on use and ends the session after 30 idle minutes", async () => {
    let token = await signIn();
    vi.setSystemTime((T0 + 20 * 60) * 1000);
    token = (await jwt({ token }))!;
    expect(token.lastSeen).toBe(T0 + 20 * 60);
    vi.setSystemTime((T0 + 20 * 60 + 30 * 60 + 1) * 1000);
    expect(await jwt({ token })).toBeNull();
  });

  it("ends an active session at the absolute limit", async () => {
    let token = await signIn();
    // Used every 20 minutes: never idle long enough to end.
    for (let t = T0 + 20 * 60; t < T0 + 12 * 3600; t += 20 * 60) {
      vi.setSystemTime(t * 1000);
      token = (await jwt({ token }))!;
      expect(token).not.toBeNull();
    }
    vi.setSystemTime((T0 + 12 * 3600 + 1) * 1000);
    expect(await jwt({ token })).toBeNull();
  });

  it("moves authTime only for a server-minted ticket, never for client-chosen update data", async () => {
    const token = await signIn();
    // Past the sudo window (15 min), within the idle one (30 min).
    const later = T0 + 20 * 60;
    vi.setSystemTime(later * 1000);
    const forged = await jwt({ token: { ...token }, trigger: "update", session: { authTime: later, role: "admin", reauth: "forged.ticket" } });
    expect(forged).toMatchObject({ authTime: T0, role: "oncall" });
    const otherUsers = await mintReauthTicket({ sub: "someone-else", authTime: later, method: "password" });
    expect(await jwt({ token: { ...token }, trigger: "update", session: { reauth: otherUsers } })).toMatchObject({ authTime: T0 });
    const ticket = await mintReauthTicket({ sub: "u1", authTime: later, method: "password" });
    expect(await jwt({ token: { ...token }, trigger: "update", session: { reauth: ticket } })).toMatchObject({
      authTime: later,
      startedAt: T0,
      role: "oncall",
    });
  });

  it("takes the identity provider's auth_time for SSO sign-ins, never a future one", async () => {
    const sso = await jwt({ token: {}, user: { id: "u2", role: "viewer", sessionVersion: 1, authMethod: "sso", authTime: T0 - 30 } });
    expect(sso).toMatchObject({ amr: "sso", authTime: T0 - 30, startedAt: T0 });
    const future = await jwt({ token: {}, user: { id: "u2", role: "viewer", sessionVersion: 1, authMethod: "sso", authTime: T0 + 3600 } });
    expect(future).toMatchObject({ authTime: T0 });
  });
});
