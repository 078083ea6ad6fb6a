"use server";
import { AuthError } from "next-auth";
import { signIn } from "@/auth";

export type LoginState = { ok: boolean; message?: string };

/** Only same-site relative paths may be used after sign-in (no open redirects). */
function safeCallback(raw: FormDataEntryValue | null): string {
  const v = typeof raw === "string" ? raw : "";
  return v.startsWith("/") && !v.startsWith("//") ? v : "/";
}

export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  try {
    await signIn("credentials", {
      email: form.get("email"),
      password: form.get("password"),
      redirectTo: safeCallback(form.get("callbackUrl")),
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof AuthError) {
      const code = (err as AuthError & { code?: string }).code;
      if (code === "unavailable") return { ok: false, message: "Sign-in is unavailable: the console store cannot be reached. Try again shortly." };
      if (code === "throttled") return { ok: false, message: "Too many failed attempts. Wait 15 minutes, or ask an admin to reset your password." };
      // Never say whether the email exists.
      return { ok: false, message: "Email or password is incorrect." };
    }
    throw err; // NEXT_REDIRECT on success
  }
}
