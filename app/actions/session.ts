"use server";
/**
 * Sign-out, through the one wrapper (lib/actions/mutation.ts). The session is a JWT, which
 * deleting the cookie alone would not end: a copy of the cookie, or a response already in flight
 * that renews it, would bring it back. So its id is recorded as ended in the console store first
 * (lib/recovery/access/authz.ts refuses it from then on). A session from single sign-on then goes on to
 * end the provider's session as well. Anyone may post here: without a session there is nothing to
 * end, and the caller goes to /login all the same.
 */
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { oidc, signOut } from "@/auth";
import { defineFormAction } from "@/lib/actions/mutation";
import { sessionPolicyFromEnv } from "@/lib/auth/session-policy";
import { ssoLogoutUrl } from "@/lib/auth/sso-logout";
import { endSession } from "@/lib/db/queries/users";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { forgetSession } from "@/lib/recovery/access/authz";

export const signOutAction = defineFormAction(
  { name: "auth.logout", access: "anonymous", input: z.unknown(), path: "/logout" },
  async (_input, { actor, request }) => {
    if (actor?.sid) {
      try {
        await endSession({ sid: actor.sid, userId: actor.id, validForSeconds: sessionPolicyFromEnv().absoluteSeconds });
        forgetSession(actor.id, actor.sid);
      } catch (err) {
        // The cookie still goes; the token itself expires with the idle timeout.
        console.error("[auth] could not record the end of a session:", err instanceof Error ? err.message : err);
      }
    }
    // A session that came through SSO also ends at the identity provider, when it offers
    // RP-initiated logout (lib/auth/sso-logout.ts). Worked out before the cookie goes.
    let idpLogout: string | null = null;
    try {
      idpLogout = await ssoLogoutUrl(await headers(), oidc);
    } catch (err) {
      console.error("[auth] could not prepare the identity provider's sign-out:", err instanceof Error ? err.message : err);
    }
    if (actor)
      await appendAudit({ actor, action: "auth.logout", outcome: "succeeded", request, ...(idpLogout ? { detail: { idpLogout: true } } : {}) }).catch(() => {});
    if (idpLogout) {
      await signOut({ redirect: false });
      redirect(idpLogout);
    }
    await signOut({ redirectTo: "/login" });
    return { ok: true, result: null };
  },
);
