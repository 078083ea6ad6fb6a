"use server";
/**
 * Sign-in actions. They are public by nature (anyone may try to sign in); the throttle, the
 * audit and the generic failure message live in auth.ts.
 */
import { AuthError } from "next-auth";
import { redirect, unstable_rethrow } from "next/navigation";
import { signIn, SSO_PROVIDER_ID, oidc } from "@/auth";
import { safeCallbackUrl } from "@/lib/auth/callback-url";

export type LoginState = { ok: boolean; message?: string };

const MESSAGES: Record<string, string> = {
  unavailable: "Sign-in is unavailable: the console store cannot be reached. Try again shortly.",
  throttled: "Too many failed sign-in attempts. Wait 15 minutes, then try again.",
};

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
      const code = (err as AuthError & { code?: string }).code;
      // Never say whether the email exists.
      return { ok: false, message: (code && MESSAGES[code]) ?? "Email or password is incorrect." };
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
