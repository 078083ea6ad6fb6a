/**
 * Session lifetime rules as pure functions of time, so they are tested with an injected clock
 * (tests/unit/session-policy.test.ts) and shared by the JWT callback (auth.config.ts) and the
 * authorization layer (sudo mode, lib/recovery/access/authz.ts).
 *
 * No imports: auth.config.ts loads this in the proxy as well as in server code.
 */

export type SessionPolicy = {
  /** A session unused for this long ends (SESSION_IDLE_MINUTES, default 30 min). */
  idleSeconds: number;
  /** A session ends this long after its sign-in, however active (SESSION_MAX_HOURS, default 12 h). */
  absoluteSeconds: number;
  /** Destructive actions need a sign-in at most this old (SUDO_MAX_AGE_MINUTES, default 15 min). */
  sudoSeconds: number;
};

/** How the user proved who they are, most recently. */
export type AuthMethod = "password" | "sso";

/** The times a session token carries, in epoch seconds. */
export type SessionTimes = {
  /** The sign-in that started this session; the absolute limit counts from here. */
  startedAt?: number;
  /** The latest interactive proof of identity (sign-in or re-authentication): sudo mode. */
  authTime?: number;
  /** The last request that used the session: the idle limit counts from here. */
  lastSeen?: number;
};

export type SessionVerdict = { ok: true } | { ok: false; reason: "idle" | "absolute" | "malformed" };

function positive(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The policy from the environment (defaults as in lib/env.ts, which validates the same variables). */
export function sessionPolicyFromEnv(source: Record<string, string | undefined> = process.env): SessionPolicy {
  return {
    idleSeconds: Math.round(positive(source.SESSION_IDLE_MINUTES, 30) * 60),
    absoluteSeconds: Math.round(positive(source.SESSION_MAX_HOURS, 12) * 3600),
    sudoSeconds: Math.round(positive(source.SUDO_MAX_AGE_MINUTES, 15) * 60),
  };
}

/** Epoch seconds. */
export function epochSeconds(ms: number = Date.now()): number {
  return Math.floor(ms / 1000);
}

/**
 * Is a session with these times still valid at `now` (epoch seconds)? A token without a
 * start time is malformed (every token this console issues has one) and is refused.
 * A token from the future (clock skew beyond a minute, or forgery) is refused too.
 */
export function sessionVerdict(t: SessionTimes, now: number, policy: SessionPolicy): SessionVerdict {
  const started = t.startedAt ?? t.authTime;
  if (typeof started !== "number" || !Number.isFinite(started) || started > now + 60) return { ok: false, reason: "malformed" };
  if (now - started > policy.absoluteSeconds) return { ok: false, reason: "absolute" };
  const lastSeen = t.lastSeen ?? started;
  if (now - lastSeen > policy.idleSeconds) return { ok: false, reason: "idle" };
  return { ok: true };
}

/**
 * The audit's record of sudo mode: `auth_time`, the latest proof of identity (sign-in or
 * re-authentication) the change was allowed on, as an ISO time; empty for callers with none
 * (machine tokens, the command line).
 */
export function authTimeDetail(authTime: number | undefined): { auth_time: string } | Record<string, never> {
  return typeof authTime === "number" && Number.isFinite(authTime) && authTime > 0 ? { auth_time: new Date(authTime * 1000).toISOString() } : {};
}

/** Sudo mode: was the latest proof of identity recent enough at `now` (epoch seconds)? */
export function isRecentAuth(authTime: number | undefined, now: number, maxAgeSeconds: number): boolean {
  if (typeof authTime !== "number" || !Number.isFinite(authTime) || authTime <= 0) return false;
  // A small allowance for clock skew between instances; never a time in the future beyond it.
  if (authTime > now + 60) return false;
  return now - authTime <= maxAgeSeconds;
}

/**
 * Cookie security from the configured public origin (CONSOLE_PUBLIC_URL, else AUTH_URL):
 * https → Secure cookies (with the __Secure- prefix). Unset → undefined: next-auth then decides
 * per request from the protocol it sees (x-forwarded-proto behind a proxy).
 */
export function secureCookiesFromEnv(source: Record<string, string | undefined> = process.env): boolean | undefined {
  const origin = source.CONSOLE_PUBLIC_URL || source.AUTH_URL;
  if (!origin) return undefined;
  try {
    return new URL(origin).protocol === "https:";
  } catch {
    return undefined;
  }
}

/**
 * An SSO session keeps the provider's ID token (for RP-initiated logout, lib/auth/sso-logout.ts)
 * only up to this size, so the session cookie stays within one or two chunks.
 */
export const MAX_STORED_ID_TOKEN = 2500;
