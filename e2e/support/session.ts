/**
 * Session cookies made the way the console makes them (next-auth's encrypted JWT under the run's
 * AUTH_SECRET), with chosen times: the e2e stand-in for an injectable clock, to test idle and
 * absolute expiry and sudo mode against the real server without waiting 30 minutes.
 */
import fs from "node:fs";
import path from "node:path";
import { encode } from "@auth/core/jwt";
import { e2eEnv } from "../../playwright.config";

/** Over http the cookie has no __Secure- prefix; the name is also the JWT's salt. */
export const SESSION_COOKIE = "authjs.session-token";

export type MintOptions = {
  sub: string;
  email: string;
  role: string;
  sv: number;
  /** Epoch seconds. */
  startedAt: number;
  authTime?: number;
  lastSeen?: number;
  amr?: "password" | "sso";
};

export async function mintSessionCookie(o: MintOptions) {
  const secret = fs.readFileSync(path.join(e2eEnv.dataDir, "auth-secret"), "utf8").trim();
  const value = await encode({
    token: {
      sub: o.sub,
      email: o.email,
      name: null,
      role: o.role as never,
      sv: o.sv,
      startedAt: o.startedAt,
      authTime: o.authTime ?? o.startedAt,
      lastSeen: o.lastSeen ?? o.startedAt,
      amr: o.amr ?? "password",
    },
    secret,
    salt: SESSION_COOKIE,
    maxAge: 12 * 3600,
  });
  return { name: SESSION_COOKIE, value, domain: "localhost", path: "/", httpOnly: true, secure: false, sameSite: "Lax" as const };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
