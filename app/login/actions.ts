"use server";
/**
 * Sign-in actions, through the one wrapper (lib/actions/mutation.ts) with anonymous access: anyone
 * may try to sign in. The wrapper parses the form (a call with anything else is `input.invalid`);
 * the throttle, the audit and the generic failure message live in auth.ts.
 */
import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn, SSO_PROVIDER_ID, oidc } from "@/auth";
import { defineFormAction, defineMutation, fail, type ActionFailure, type ActionResult } from "@/lib/actions/mutation";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { humanWait, throttledMessage } from "@/lib/auth/login-throttle";
import { refusalFromCode } from "@/lib/auth/sign-in-response";
import { text } from "@/lib/validation/text";

const callbackUrl = z.string().max(2000).optional();

const signInSchema = z.object({
  email: text({ error: "Enter your email." }).trim().min(1, "Enter your email.").max(320, "That is not an email address."),
  password: text({ error: "Enter your password." }).min(1, "Enter your password.").max(1024, "That password is too long."),
  callbackUrl,
});

/** auth.ts's failure codes, in the one vocabulary. Never says whether the email exists. */
function failureFor(code: string | undefined): ActionFailure {
  const refusal = refusalFromCode(code);
  if (refusal?.kind === "throttled") return fail("rate.limited", throttledMessage(refusal.retryAfterSeconds), { retryAfterSeconds: refusal.retryAfterSeconds });
  if (refusal?.kind === "busy")
    return fail("rate.limited", `Sign-in is busy. Try again in ${humanWait(refusal.retryAfterSeconds)}.`, { retryAfterSeconds: refusal.retryAfterSeconds });
  if (code === "unavailable") return fail("store.unavailable", "Sign-in is unavailable: the console store cannot be reached. Try again shortly.");
  return fail("auth.failed", "Email or password is incorrect.");
}

export const loginAction = defineMutation(
  {
    name: "auth.login",
    access: "anonymous",
    input: signInSchema,
    args: "form-state",
    path: "/login",
    errors: (err) => (err instanceof AuthError ? failureFor((err as AuthError & { code?: string }).code) : undefined),
  },
  async (i): Promise<ActionResult> => {
    // Redirects on success (NEXT_REDIRECT passes through the wrapper).
    await signIn("credentials", { email: i.email, password: i.password, redirectTo: safeCallbackUrl(i.callbackUrl) });
    return { ok: true, result: null };
  },
);

/** Start single sign-on (OIDC). Redirects to the identity provider. */
export const ssoLoginAction = defineFormAction(
  {
    name: "auth.login",
    access: "anonymous",
    input: z.object({ callbackUrl }),
    path: "/login",
    errors: (err) => {
      // The provider is unreachable or misconfigured: say so on the sign-in page, log the cause.
      console.error("[auth] could not start single sign-on:", err instanceof Error ? err.message : err);
      redirect("/login?error=sso_start_failed");
    },
  },
  async (i): Promise<ActionResult> => {
    if (!oidc) return fail("auth.failed", "Single sign-on is not configured.");
    await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallbackUrl(i.callbackUrl) });
    return { ok: true, result: null };
  },
);
