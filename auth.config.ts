/**
 * The edge-safe half of the next-auth config: no DB imports, so the proxy can load it.
 * The providers (Credentials and OIDC, which need the DB) are added in auth.ts.
 *
 * Sessions are JWTs in an HttpOnly, SameSite=Lax cookie, Secure when the console's public URL
 * is https (or, with none configured, when the request came over https). Their life:
 *   - idle: SESSION_IDLE_MINUTES (30) without a request ends it: the cookie's and the token's
 *     expiry, renewed on use, plus `lastSeen` checked here;
 *   - absolute: SESSION_MAX_HOURS (12) after sign-in, however active (`startedAt`);
 *   - revocation: the user's session version, re-checked by lib/recovery/access/authz.ts;
 *   - sign-out: the session id (`sid`) is recorded as ended, so the token is refused even if a
 *     copy of the cookie survives.
 * The rules are pure functions of time in lib/auth/session-policy.ts.
 *
 * The cookie's codec (lib/auth/session-token.ts) decrypts a given cookie value once per process and
 * re-encrypts the renewed token at most once a minute (a tenth of the idle timeout when shorter), so
 * the idle clock (`lastSeen`) moves in those steps.
 */
import type { NextAuthConfig } from "next-auth";
import type { Role } from "./lib/db/schema/console.ts";
import { verifyReauthTicket } from "./lib/auth/reauth-ticket.ts";
import { renewSecondsFor, sessionTokenCodec } from "./lib/auth/session-token.ts";
import { epochSeconds, MAX_STORED_ID_TOKEN, secureCookiesFromEnv, sessionPolicyFromEnv, sessionVerdict, type AuthMethod } from "./lib/auth/session-policy.ts";

export const sessionPolicy = sessionPolicyFromEnv();

declare module "next-auth" {
  interface User {
    role?: Role;
    sessionVersion?: number;
    authMethod?: AuthMethod;
    /** Epoch seconds the identity provider says the user authenticated (OIDC auth_time). */
    authTime?: number;
  }
  interface Session {
    user: { id: string; email: string; name?: string | null; role: Role };
    /** Epoch seconds of the last interactive sign-in or re-authentication (sudo mode). */
    authTime: number;
    /** How the user last proved who they are. */
    authMethod?: AuthMethod;
    /** The user's session version when signed in; compared on each request (revocation). */
    sv?: number;
    /** This session's id: signing out records it as ended (console.ended_sessions). */
    sid?: string;
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    role?: Role;
    sv?: number;
    authTime?: number;
    startedAt?: number;
    lastSeen?: number;
    amr?: AuthMethod;
    sid?: string;
    /** The SSO provider's ID token: the id_token_hint of RP-initiated logout (lib/auth/sso-logout.ts). */
    idToken?: string;
  }
}

/** A clock the tests can move (vi.setSystemTime); production reads Date.now(). */
const nowSeconds = () => epochSeconds(Date.now());

const useSecureCookies = secureCookiesFromEnv();

export default {
  trustHost: true,
  pages: { signIn: "/login", error: "/login" },
  // The cookie and the token expire after the idle timeout and are renewed as the user works.
  session: { strategy: "jwt", maxAge: sessionPolicy.idleSeconds },
  jwt: sessionTokenCodec({ renewSeconds: renewSecondsFor(sessionPolicy.idleSeconds) }),
  ...(useSecureCookies === undefined ? {} : { useSecureCookies }),
  providers: [],
  callbacks: {
    async jwt({ token, user, account, trigger, session }) {
      const now = nowSeconds();
      if (user) {
        // A sign-in (password or SSO): a fresh session.
        token.sub = user.id;
        token.role = user.role;
        token.sv = user.sessionVersion;
        token.amr = user.authMethod ?? "password";
        const idpTime = user.authTime;
        token.authTime = typeof idpTime === "number" && idpTime <= now + 60 ? Math.min(idpTime, now) : now;
        token.startedAt = now;
        token.lastSeen = now;
        token.sid = crypto.randomUUID();
        // Keep the token small and free of provider data, but for the ID token that signing out
        // hands back to the provider (RP-initiated logout), when it is of a sensible size. The
        // cookie is encrypted; the session object the browser reads never carries it.
        delete token.picture;
        delete token.idToken;
        const idToken = account?.type === "oidc" ? account.id_token : undefined;
        if (typeof idToken === "string" && idToken.length <= MAX_STORED_ID_TOKEN) token.idToken = idToken;
      }
      if (trigger === "update") {
        // Only a server-minted re-authentication ticket may move authTime; whatever else the
        // client sends with an update is ignored (lib/auth/reauth-ticket.ts).
        const reauth = await verifyReauthTicket((session as { reauth?: unknown } | undefined)?.reauth, token.sub, now);
        if (reauth) {
          token.authTime = reauth.authTime;
          token.amr = reauth.method;
        }
      }
      if (!sessionVerdict(token, now, sessionPolicy).ok) return null;
      token.lastSeen = now;
      return token;
    },
    session({ session, token }) {
      session.user.id = token.sub ?? "";
      session.user.role = token.role as Role;
      session.authTime = token.authTime ?? 0;
      session.authMethod = token.amr;
      session.sv = token.sv;
      session.sid = token.sid;
      return session;
    },
  },
} satisfies NextAuthConfig;
