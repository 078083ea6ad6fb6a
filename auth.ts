/**
 * next-auth v5: the config from auth.config.ts plus the Credentials provider against
 * console.users. Every sign-in success and failure is audited; the failure message never
 * says whether the email exists.
 */
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import authConfig from "./auth.config.ts";
import { dummyHash, verifyPassword } from "./lib/auth/password.ts";
import { requestMetaFrom } from "./lib/auth/request-meta.ts";
import { getUserByEmail, markLoggedIn, normalizeEmail } from "./lib/db/queries/users.ts";
import { appendAudit } from "./lib/recovery/audit.ts";

class InvalidLogin extends CredentialsSignin {
  code = "invalid_credentials";
}
class LoginUnavailable extends CredentialsSignin {
  code = "unavailable";
}

const credentialsSchema = z.object({ email: z.string().trim().min(3).max(320), password: z.string().min(1).max(1024) });

export const { handlers, auth, signIn, signOut } = NextAuth({
  ...authConfig,
  logger: {
    // A wrong password is an expected event (audited), not an error stack in the logs.
    error(error) {
      if (error instanceof CredentialsSignin || (error as { type?: string }).type === "CredentialsSignin") return;
      console.error("[auth]", error);
    },
  },
  providers: [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw, request) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new InvalidLogin();
        const email = normalizeEmail(parsed.data.email);
        const meta = requestMetaFrom(request.headers, "/login");
        let user;
        try {
          user = await getUserByEmail({ email });
        } catch (err) {
          console.error("[auth] console store unavailable during sign-in:", err);
          throw new LoginUnavailable();
        }
        const ok = user?.passwordHash
          ? await verifyPassword(user.passwordHash, parsed.data.password)
          : (await verifyPassword(await dummyHash(), parsed.data.password), false);
        const active = ok && user && !user.disabledAt;
        try {
          await appendAudit({
            actor: user ? { id: user.id, email: user.email, role: user.role } : { email },
            action: "auth.login",
            outcome: active ? "succeeded" : "failed",
            detail: active ? { method: "password" } : { method: "password", reason: user?.disabledAt ? "disabled" : "invalid_credentials" },
            request: meta,
          });
        } catch (err) {
          // No audit, no session: a sign-in we cannot record does not happen.
          console.error("[auth] could not audit sign-in:", err);
          throw new LoginUnavailable();
        }
        if (!active || !user) throw new InvalidLogin();
        await markLoggedIn({ id: user.id }).catch(() => {});
        return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
      },
    }),
  ],
});
