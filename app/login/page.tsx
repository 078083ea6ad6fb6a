import type { Metadata } from "next";
import { oidc } from "@/auth";
import { LoginForm, SsoButton } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

/** Messages for the `error` next-auth (or the SSO sign-in) puts on the URL. Never more specific than this. */
const ERRORS: Record<string, string> = {
  sso_no_role: "Your single sign-on account has no role in the Recovery Console. Ask an admin to add you to one of the console's groups.",
  sso_disabled: "This account is disabled. Ask an admin.",
  sso_conflict: "This email belongs to another console account. Ask an admin to link it.",
  sso_no_email: "Your identity provider did not share an email address, which the console needs.",
  sso_unavailable: "Sign-in is unavailable: the console store cannot be reached. Try again shortly.",
  sso_start_failed: "The identity provider cannot be reached right now. Try again, or sign in with your password.",
};
const SSO_FAILED = "Single sign-on did not complete. Try again, or sign in with your password.";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  const { callbackUrl, error } = await searchParams;
  const problem = error ? (ERRORS[error] ?? (error === "CredentialsSignin" ? undefined : SSO_FAILED)) : undefined;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <h1 className="text-xl font-semibold">Recovery Console</h1>
        <p className="mb-6 text-sm text-zinc-500 dark:text-zinc-400">DistortSignals incident response</p>
        {problem ? (
          <p role="status" data-testid="sso-error" className="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
            {problem}
          </p>
        ) : null}
        {oidc ? (
          <>
            <SsoButton callbackUrl={callbackUrl ?? ""} label={`Sign in with ${oidc.displayName}`} />
            <p className="my-4 text-center text-xs uppercase tracking-wide text-zinc-500 dark:text-zinc-400">or with a console password</p>
          </>
        ) : null}
        <LoginForm callbackUrl={callbackUrl ?? ""} />
      </div>
    </main>
  );
}
