/**
 * next-auth v5: the config from auth.config.ts plus the providers.
 *
 * - Credentials against console.users (argon2id, at most 2 hashes at a time: lib/auth/password.ts),
 *   throttled per account and client, per client, and slowed per account (lib/auth/login-throttle.ts). Every success, failure and throttled attempt is audited; the
 *   message never says whether the email exists.
 * - OIDC single sign-on when OIDC_ISSUER is set (lib/auth/oidc.ts): the role claim is mapped to a
 *   console role and the user upserted into console.users (lib/auth/sso.ts); no mapped role, no
 *   access (an audited denial).
 */
import NextAuth, { CredentialsSignin, customFetch } from "next-auth";
import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { text } from "./lib/validation/text.ts";
import authConfig from "./auth.config.ts";
import { beginLoginAttempt, cancelLoginAttempt, finishLoginAttempt, slowDown, type AttemptTicket } from "./lib/auth/login-throttle.ts";
import { oidcConfigFromEnv } from "./lib/auth/oidc.ts";
import { dummyHash, HashBusyError, verifyPassword } from "./lib/auth/password.ts";
import { requestMetaFrom } from "./lib/auth/request-meta.ts";
import { completeSsoSignIn } from "./lib/auth/sso.ts";
import { getUserByEmail, markLoggedIn, normalizeEmail } from "./lib/db/queries/users.ts";
import { appendAudit } from "./lib/recovery/audit/writer.ts";
import { tracedFetch } from "./lib/trace.ts";
import { auditRefusal } from "./lib/recovery/audit/fold.ts";

class InvalidLogin extends CredentialsSignin {
  code = "invalid_credentials";
}
class LoginUnavailable extends CredentialsSignin {
  code = "unavailable";
}
/**
 * The code carries the wait, so the sign-in page can say how long (app/login/actions.ts) and the
 * route handler can answer 429 / 503 with Retry-After (lib/auth/sign-in-response.ts).
 */
class LoginThrottled extends CredentialsSignin {
  constructor(retryAfterSeconds: number) {
    super();
    this.code = `throttled_${retryAfterSeconds}`;
  }
}
class LoginBusy extends CredentialsSignin {
  constructor(retryAfterSeconds: number) {
    super();
    this.code = `busy_${retryAfterSeconds}`;
  }
}

const credentialsSchema = z.object({ email: text().trim().min(3).max(320), password: text().min(1).max(1024) });

/** The id of the SSO provider in URLs (/api/auth/signin/oidc, /api/auth/callback/oidc). */
export const SSO_PROVIDER_ID = "oidc";

export const oidc = oidcConfigFromEnv();

/**
 * The credentials check (exported for tests/db/credentials.test.ts): throttle, slow-down, one
 * argon2 verify under the hashing cap (a dummy hash for an unknown email), audit, and a generic
 * refusal that never says whether the email exists.
 */
export async function authorizeCredentials(raw: unknown, request: Request) {
  const parsed = credentialsSchema.safeParse(raw);
  // Malformed input tests no password: refused without counting or auditing.
  if (!parsed.success) throw new InvalidLogin();
  const email = normalizeEmail(parsed.data.email);
  const meta = requestMetaFrom(request.headers, "/login");

  let attempt: AttemptTicket;
  try {
    const { decision, attempt: a } = await beginLoginAttempt({ account: email, client: meta.ip ?? null });
    if (decision.throttled) {
      await auditRefusal(
        {
          actor: { email },
          action: "auth.login",
          outcome: "throttled",
          detail: { method: "password", scope: decision.scope, retryAfterSeconds: decision.retryAfterSeconds },
          request: meta,
        },
        decision.scope,
      );
      throw new LoginThrottled(decision.retryAfterSeconds);
    }
    attempt = a;
    // An account under attack from many clients is slowed, never locked (login-throttle.ts).
    await slowDown(decision);
  } catch (err) {
    if (err instanceof LoginThrottled) throw err;
    console.error("[auth] console store unavailable during sign-in:", err instanceof Error ? err.message : err);
    throw new LoginUnavailable();
  }

  let user;
  try {
    user = await getUserByEmail({ email });
  } catch (err) {
    console.error("[auth] console store unavailable during sign-in:", err instanceof Error ? err.message : err);
    throw new LoginUnavailable();
  }
  // An unknown account costs one hash too (timing), under the same concurrency cap.
  let ok: boolean;
  try {
    ok = user?.passwordHash
      ? await verifyPassword(user.passwordHash, parsed.data.password)
      : (await verifyPassword(await dummyHash(), parsed.data.password), false);
  } catch (err) {
    if (!(err instanceof HashBusyError)) throw err;
    // Nothing was checked: not a failure to count. Refused with 503 + Retry-After.
    await cancelLoginAttempt(attempt).catch(() => {});
    throw new LoginBusy(err.retryAfterSeconds);
  }
  const active = ok && user && !user.disabledAt;
  try {
    await finishLoginAttempt(attempt, Boolean(active));
    const loginActor = user ? { id: user.id, email: user.email, role: user.role } : { email };
    if (active) {
      await appendAudit({ actor: loginActor, action: "auth.login", outcome: "succeeded", detail: { method: "password" }, request: meta });
    } else {
      // Repeated failures fold into one summary entry (lib/recovery/audit/fold.ts).
      const reason = user?.disabledAt && ok ? "disabled" : "invalid_credentials";
      await auditRefusal({ actor: loginActor, action: "auth.login", outcome: "failed", detail: { method: "password", reason }, request: meta }, reason);
    }
  } catch (err) {
    // No audit, no session: a sign-in we cannot record does not happen.
    console.error("[auth] could not audit sign-in:", err instanceof Error ? err.message : err);
    throw new LoginUnavailable();
  }
  if (!active || !user) throw new InvalidLogin();
  await markLoggedIn({ id: user.id }).catch(() => {});
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion, authMethod: "password" as const };
}

function providers(): Provider[] {
  const list: Provider[] = [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: authorizeCredentials,
    }),
  ];
  if (oidc) {
    list.push({
      id: SSO_PROVIDER_ID,
      name: oidc.displayName,
      type: "oidc",
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      checks: ["pkce", "state", "nonce"],
      authorization: { params: { scope: "openid email profile" } },
      // Discovery, token and userinfo calls to the identity provider, each as a client span (lib/trace.ts).
      [customFetch]: (input: string | URL | Request, init?: RequestInit) =>
        input instanceof Request ? fetch(input, init) : tracedFetch("identity-provider", String(input), init ?? {}),
      // The console user is resolved in the signIn callback; the profile only carries claims.
      profile(profile) {
        return {
          id: String(profile.sub),
          email: typeof profile.email === "string" ? profile.email : null,
          name: typeof profile.name === "string" ? profile.name : null,
        };
      },
    });
  }
  return list;
}

export const { handlers, auth, signIn, signOut, unstable_update } = NextAuth({
  ...authConfig,
  logger: {
    // A wrong password is an expected event (audited), not an error stack in the logs. Other
    // errors are logged by name and message only: causes can carry request bodies or tokens.
    error(error) {
      if (error instanceof CredentialsSignin || (error as { type?: string }).type === "CredentialsSignin") return;
      const cause = (error as { cause?: { err?: unknown } }).cause?.err;
      console.error(`[auth] ${error.name}: ${error.message}${cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ""}`);
    },
    warn(code) {
      console.warn(`[auth] warning: ${code}`);
    },
    debug() {},
  },
  providers: providers(),
  callbacks: {
    ...authConfig.callbacks,
    async signIn({ user, account, profile }) {
      if (account?.provider !== SSO_PROVIDER_ID) return true;
      if (!oidc || !profile) return false;
      const { headers } = await import("next/headers");
      const meta = requestMetaFrom(await headers(), "/api/auth/callback/oidc");
      const result = await completeSsoSignIn({ claims: profile as Record<string, unknown>, config: oidc, request: meta });
      if (!result.ok) return `/login?error=sso_${result.reason}`;
      // next-auth hands this same object to the jwt callback: it becomes the console user.
      Object.assign(user, {
        id: result.user.id,
        email: result.user.email,
        name: result.user.name,
        role: result.user.role,
        sessionVersion: result.user.sessionVersion,
        authMethod: "sso",
        authTime: typeof profile.auth_time === "number" ? profile.auth_time : undefined,
      });
      return true;
    },
  },
});
