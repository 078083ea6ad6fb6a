import { redirect } from "next/navigation";
import { currentActor } from "@/lib/recovery/access/authz";
import { homeFor } from "@/lib/recovery/access/permissions";

export const dynamic = "force-dynamic";

/** After sign-in: each role to its home (viewers to /status, auditors to /audit, on-call to /). */
export default async function Landing() {
  const actor = await currentActor("status.read");
  redirect(actor ? homeFor(actor.role) : "/login");
}
