import { listOpenIncidents } from "@/lib/db/queries/incidents";
import { env } from "@/lib/env";
import { withPermission } from "@/lib/recovery/authz";
import { viewIncident } from "@/lib/recovery/incidents/view";
import { can } from "@/lib/recovery/permissions";

export const dynamic = "force-dynamic";

/** Open incidents for the dashboard banner, with the escalation clock computed on the server. */
export const GET = withPermission("health.read", async (_req, { actor }) => {
  const now = Date.now();
  try {
    const open = await listOpenIncidents();
    return Response.json(
      {
        now: new Date(now).toISOString(),
        haltConfigured: !!env().TRADE_DIRECTOR_HALT_URL,
        incidents: open.map((i) => viewIncident(i, now, { withContacts: can(actor.role, "incidents.read") })),
      },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (err) {
    console.error("[incidents] cannot list open incidents:", err);
    return Response.json({ error: { code: "incidents.unavailable", message: "The console store cannot be reached: incidents are unknown right now." } }, { status: 503 });
  }
});
