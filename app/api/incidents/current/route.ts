import { withPermission } from "@/lib/recovery/authz";
import { currentIncidents } from "@/lib/recovery/incidents/view";
import { can } from "@/lib/recovery/permissions";

export const dynamic = "force-dynamic";

/** Open incidents for the dashboard banner, with the escalation clock computed on the server. */
export const GET = withPermission("health.read", async (_req, { actor }) => {
  try {
    return Response.json(await currentIncidents({ withContacts: can(actor.role, "incidents.read") }), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    console.error("[incidents] cannot list open incidents:", err);
    return Response.json({ error: { code: "incidents.unavailable", message: "The console store cannot be reached: incidents are unknown right now." } }, { status: 503 });
  }
});
