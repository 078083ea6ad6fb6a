"use server";
/**
 * Sign-in actions. They are public by nature (anyone may try to sign in); the throttle, the
 * audit and the generic failure message live in auth.ts.
 */
import { AuthError } from "next-auth";
import { redirect, unstable_rethrow } from "next/navigation";
import { signIn, SSO_PROVIDER_ID, oidc } from "@/auth";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { humanWait, throttledMessage } from "@/lib/auth/login-throttle";
import { refusalFromCode } from "@/lib/auth/sign-in-response";

export type LoginState = { ok: boolean; message?: string };

const MESSAGES: Record<string, string> = {
  unavailable: "Sign-in is unavailable: the console store cannot be reached. Try again shortly.",
};

function messageFor(code: string | undefined): string {
  const refusal = refusalFromCode(code);
  if (refusal?.kind === "throttled") return throttledMessage(refusal.retryAfterSeconds);
  if (refusal?.kind === "busy") return `Sign-in is busy. Try again in ${humanWait(refusal.retryAfterSeconds)}.`;
  // Never say whether the email exists.
  return (code && MESSAGES[code]) ?? "Email or password is incorrect.";
}

export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  try {
    await signIn("credentials", {
      email: form.get("email"),
      password: form.get("password"),
      redirectTo: safeCallbackUrl(form.get("callbackUrl")),
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof AuthError) {
      return { ok: false, message: messageFor((err as AuthError & { code?: string }).code) };
    }
    throw err; // NEXT_REDIRECT on success
  }
}

/** Start single sign-on (OIDC). Redirects to the identity provider. */
export async function ssoLoginAction(form: FormData): Promise<void> {
  if (!oidc) return;
  try {
    await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallbackUrl(form.get("callbackUrl")) });
  } catch (err) {
    unstable_rethrow(err); // the redirect to the identity provider
    // The provider is unreachable or misconfigured: say so on the sign-in page, log the cause.
    console.error("[auth] could not start single sign-on:", err instanceof Error ? err.message : err);
    redirect("/login?error=sso_start_failed");
  }
}
