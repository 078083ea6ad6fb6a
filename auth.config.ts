/**
 * The edge-safe half of the next-auth config: no DB imports, so the proxy can load it.
 * The Credentials provider (which needs the DB) is added in auth.ts.
 */
import type { NextAuthConfig } from "next-auth";
import type { Role } from "./lib/db/schema/console.ts";

const idleMinutes = Number(process.env.SESSION_IDLE_MINUTES ?? 30) || 30;
const maxHours = Number(process.env.SESSION_MAX_HOURS ?? 12) || 12;

declare module "next-auth" {
  interface User {
    role?: Role;
    sessionVersion?: number;
  }
  interface Session {
    user: { id: string; email: string; name?: string | null; role: Role };
    /** Epoch seconds of the last interactive sign-in (sudo mode). */
    authTime: number;
    /** The user's session version when signed in; compared on each request (revocation). */
    sv?: number;
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    role?: Role;
    sv?: number;
    authTime?: number;
  }
}

export const sessionPolicy = {
  idleSeconds: idleMinutes * 60,
  absoluteSeconds: maxHours * 3600,
};

export default {
  trustHost: true,
  pages: { signIn: "/login" },
  // JWT sessions; the cookie's life is the idle timeout and is renewed as the user works.
  // The absolute limit is enforced in the jwt callback from authTime.
  session: { strategy: "jwt", maxAge: sessionPolicy.idleSeconds, updateAge: 60 },
  providers: [],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.role = user.role;
        token.sv = user.sessionVersion;
        token.authTime = Math.floor(Date.now() / 1000);
      }
      // Absolute session lifetime: a token older than SESSION_MAX_HOURS is dropped.
      if (token.authTime && Date.now() / 1000 - token.authTime > sessionPolicy.absoluteSeconds) return null;
      return token;
    },
    session({ session, token }) {
      session.user.id = token.sub ?? "";
      session.user.role = token.role as Role;
      session.authTime = token.authTime ?? 0;
      session.sv = token.sv;
      return session;
    },
  },
} satisfies NextAuthConfig;
