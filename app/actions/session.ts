"use server";
/**
 * Sign-out. The session is a JWT, which deleting the cookie alone would not end: a copy of the
 * cookie, or a response already in flight that renews it, would bring it back. So its id is
 * recorded as ended in the console store first (lib/recovery/authz.ts refuses it from then on).
 */
import { signOut } from "@/auth";
import { sessionPolicyFromEnv } from "@/lib/auth/session-policy";
import { endSession } from "@/lib/db/queries/users";
import { appendAudit } from "@/lib/recovery/audit";
import { currentActor, forgetSession } from "@/lib/recovery/authz";

export async function signOutAction(): Promise<void> {
  const actor = await currentActor("health.read").catch(() => null);
  if (actor?.sid) {
    try {
      await endSession({ sid: actor.sid, userId: actor.id, validForSeconds: sessionPolicyFromEnv().absoluteSeconds });
      forgetSession(actor.id, actor.sid);
    } catch (err) {
      // The cookie still goes; the token itself expires with the idle timeout.
      console.error("[auth] could not record the end of a session:", err instanceof Error ? err.message : err);
    }
  }
  if (actor) await appendAudit({ actor, action: "auth.logout", outcome: "succeeded" }).catch(() => {});
  await signOut({ redirectTo: "/login" });
}
