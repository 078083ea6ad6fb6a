"use server";
import { signOut } from "@/auth";
import { appendAudit } from "@/lib/recovery/audit";
import { currentActor } from "@/lib/recovery/authz";

export async function signOutAction(): Promise<void> {
  const actor = await currentActor("health.read").catch(() => null);
  if (actor) await appendAudit({ actor, action: "auth.logout", outcome: "succeeded" }).catch(() => {});
  await signOut({ redirectTo: "/login" });
}
