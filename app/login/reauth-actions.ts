"use server";
/**
 * Sudo mode's re-authentication (components/reauth-dialog.tsx). The password is checked again,
 * under the same throttle as sign-in, and a server-minted ticket moves the session's authTime
 * through next-auth's session update (lib/auth/reauth-ticket.ts explains why a ticket).
 * SSO users go through their identity provider again, asked to prompt for credentials.
 */
import { headers } from "next/headers";
import { redirect, unstable_rethrow } from "next/navigation";
import { signIn, SSO_PROVIDER_ID, oidc, unstable_update } from "@/auth";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { beginLoginAttempt, finishLoginAttempt, throttledMessage } from "@/lib/auth/login-throttle";
import { verifyPassword } from "@/lib/auth/password";
import { mintReauthTicket } from "@/lib/auth/reauth-ticket";
import { requestMetaFrom } from "@/lib/auth/request-meta";
import { epochSeconds } from "@/lib/auth/session-policy";
import { getUserByEmail } from "@/lib/db/queries/users";
import { appendAudit } from "@/lib/recovery/audit";
import { auditRefusal } from "@/lib/recovery/audit-fold";
import { isStorableText } from "@/lib/validation/text";
import { currentActor } from "@/lib/recovery/authz";

export type ReauthState = {
  ok: boolean;
  code?: "auth.required" | "auth.reauth_failed" | "auth.throttled" | "auth.reauth_sso_only" | "auth.unavailable";
  message?: string;
  /** Epoch seconds of the new proof of identity. */
  authTime?: number;
};

export async function reauthPasswordAction(_prev: ReauthState, form: FormData): Promise<ReauthState> {
  const actor = await currentActor("status.read");
  if (!actor || actor.via !== "session") return { ok: false, code: "auth.required", message: "Your session has ended. Sign in again." };
  const password = form.get("password");
  if (typeof password !== "string" || password.length === 0 || password.length > 1024 || !isStorableText(password)) {
    return { ok: false, code: "auth.reauth_failed", message: "Enter your password." };
  }
  const meta = requestMetaFrom(await headers(), "/reauth");
  try {
    const user = await getUserByEmail({ email: actor.email });
    if (!user || user.id !== actor.id || user.disabledAt) return { ok: false, code: "auth.required", message: "Your session has ended. Sign in again." };
    if (!user.passwordHash) return { ok: false, code: "auth.reauth_sso_only", message: "Your account signs in through single sign-on: continue there." };
    const { decision, attempt } = await beginLoginAttempt({ account: actor.email, client: meta.ip ?? null });
    if (decision.throttled) {
      await auditRefusal({ actor, action: "auth.reauth", outcome: "throttled", detail: { method: "password", scope: decision.scope, retryAfterSeconds: decision.retryAfterSeconds }, request: meta }, decision.scope);
      return { ok: false, code: "auth.throttled", message: throttledMessage(decision.retryAfterSeconds, "failed attempts") };
    }
    const ok = await verifyPassword(user.passwordHash, password);
    await finishLoginAttempt(attempt, ok);
    const authTime = epochSeconds();
    if (ok) {
      await appendAudit({ actor, action: "auth.reauth", outcome: "succeeded", detail: { method: "password", authTime: new Date(authTime * 1000).toISOString() }, request: meta });
    } else {
      await auditRefusal({ actor, action: "auth.reauth", outcome: "failed", detail: { method: "password", reason: "invalid_credentials" }, request: meta }, "invalid_credentials");
    }
    if (!ok) return { ok: false, code: "auth.reauth_failed", message: "That password is not correct." };
    await unstable_update({ reauth: await mintReauthTicket({ sub: actor.id, authTime, method: "password" }) } as never);
    return { ok: true, authTime };
  } catch (err) {
    console.error("[auth] re-authentication failed:", err instanceof Error ? err.message : err);
    return { ok: false, code: "auth.unavailable", message: "Could not check your password right now; try again." };
  }
}

/** SSO users: back through the identity provider, which is asked to prompt again (prompt=login). */
/** The SSO sign-in that follows is audited like any other (auth.login, method sso). */
export async function reauthSsoAction(form: FormData): Promise<void> {
  const actor = await currentActor("status.read");
  if (!actor || !oidc) return;
  try {
    await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallbackUrl(form.get("callbackUrl")) }, { prompt: "login", max_age: "0" });
  } catch (err) {
    unstable_rethrow(err); // the redirect to the identity provider
    console.error("[auth] could not start single sign-on:", err instanceof Error ? err.message : err);
    redirect("/login?error=sso_start_failed");
  }
}
