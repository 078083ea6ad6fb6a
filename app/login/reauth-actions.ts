"use server";
/**
 * Sudo mode's re-authentication (components/reauth-dialog.tsx). The password is checked again,
 * under the same throttle as sign-in, and a server-minted ticket moves the session's authTime
 * through next-auth's session update (lib/auth/reauth-ticket.ts explains why a ticket).
 * SSO users go through their identity provider again, asked to prompt for credentials.
 * Both go through the one wrapper (lib/actions/mutation.ts), for any signed-in session.
 */
import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn, SSO_PROVIDER_ID, oidc, unstable_update } from "@/auth";
import { defineFormAction, defineMutation, fail, type ActionResult } from "@/lib/actions/mutation";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { beginLoginAttempt, finishLoginAttempt, throttledMessage } from "@/lib/auth/login-throttle";
import { verifyPassword } from "@/lib/auth/password";
import { mintReauthTicket } from "@/lib/auth/reauth-ticket";
import { epochSeconds } from "@/lib/auth/session-policy";
import { getUserByEmail } from "@/lib/db/queries/users";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { auditRefusal } from "@/lib/recovery/audit/fold";
import { text } from "@/lib/validation/text";

/** What a successful re-authentication returns: epoch seconds of the new proof of identity. */
export type Reauthenticated = { authTime: number };

const ended = () => fail("auth.required", "Your session has ended. Sign in again.");

export const reauthPasswordAction = defineMutation(
  {
    name: "auth.reauth",
    access: "session",
    args: "form-state",
    path: "/reauth",
    input: z.object({ password: text({ error: "Enter your password." }).min(1, "Enter your password.").max(1024, "Enter your password.") }),
  },
  async ({ password }, { actor, request: meta }): Promise<ActionResult<Reauthenticated>> => {
    if (actor.via !== "session") return ended();
    const user = await getUserByEmail({ email: actor.email });
    if (!user || user.id !== actor.id || user.disabledAt) return ended();
    if (!user.passwordHash) return fail("auth.reauth_sso_only", "Your account signs in through single sign-on: continue there.");
    const { decision, attempt } = await beginLoginAttempt({ account: actor.email, client: meta.ip ?? null });
    if (decision.throttled) {
      await auditRefusal(
        {
          actor,
          action: "auth.reauth",
          outcome: "throttled",
          detail: { method: "password", scope: decision.scope, retryAfterSeconds: decision.retryAfterSeconds },
          request: meta,
        },
        decision.scope,
      );
      return fail("rate.limited", throttledMessage(decision.retryAfterSeconds, "failed attempts"), { retryAfterSeconds: decision.retryAfterSeconds });
    }
    const ok = await verifyPassword(user.passwordHash, password);
    await finishLoginAttempt(attempt, ok);
    const authTime = epochSeconds();
    if (ok) {
      await appendAudit({
        actor,
        action: "auth.reauth",
        outcome: "succeeded",
        detail: { method: "password", authTime: new Date(authTime * 1000).toISOString() },
        request: meta,
      });
    } else {
      // Repeated failures fold into one summary entry (lib/recovery/audit/fold.ts).
      await auditRefusal(
        { actor, action: "auth.reauth", outcome: "failed", detail: { method: "password", reason: "invalid_credentials" }, request: meta },
        "invalid_credentials",
      );
    }
    if (!ok) return fail("auth.reauth_failed", "That password is not correct.");
    await unstable_update({ reauth: await mintReauthTicket({ sub: actor.id, authTime, method: "password" }) } as never);
    return { ok: true, result: { authTime } };
  },
);

/** SSO users: back through the identity provider, which is asked to prompt again (prompt=login). */
/** The SSO sign-in that follows is audited like any other (auth.login, method sso). */
export const reauthSsoAction = defineFormAction(
  {
    name: "auth.reauth",
    access: "session",
    path: "/reauth",
    input: z.object({ callbackUrl: z.string().max(2000).optional() }),
    errors: (err) => {
      console.error("[auth] could not start single sign-on:", err instanceof Error ? err.message : err);
      redirect("/login?error=sso_start_failed");
    },
  },
  async ({ callbackUrl }): Promise<ActionResult> => {
    if (!oidc) return fail("auth.failed", "Single sign-on is not configured.");
    await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallbackUrl(callbackUrl) }, { prompt: "login", max_age: "0" });
    return { ok: true, result: null };
  },
);
