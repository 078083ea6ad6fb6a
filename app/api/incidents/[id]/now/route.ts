import { withPermission } from "@/lib/recovery/access/authz";
import { readIncidentNow } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** One incident's status and level now, for its page to stay live (components/incidents/incident-live.tsx). */
export const GET = withPermission<{ params: Promise<{ id: string }> }>("incidents.read", async (request, { params }) => {
  const id = Number((await params).id);
  try {
    const found = await readIncidentNow(id, { request });
    if (!found) return Response.json({ error: { code: "incident.not_found", message: "No such incident." } }, { status: 404 });
    return Response.json(found, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    console.error("[incidents] cannot read the incident:", err);
    return Response.json(
      { error: { code: "incidents.unavailable", message: "The console store cannot be reached: the incident's state is unknown right now." } },
      { status: 503 },
    );
  }
});
