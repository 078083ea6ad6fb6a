import { getDeliveries, getIncident, getIncidentActions, getIncidentEvents } from "@/lib/db/queries/incidents";
import { appendAudit } from "@/lib/recovery/audit";
import { withPermission } from "@/lib/recovery/authz";
import { draftReport } from "@/lib/recovery/incidents/report";

export const dynamic = "force-dynamic";

/** The drafted incident report as a Markdown download. */
export const GET = withPermission<{ params: Promise<{ id: string }> }>("incidents.read", async (_req, { params, actor }) => {
  const id = Number((await params).id);
  if (!Number.isInteger(id) || id <= 0) return Response.json({ error: { code: "incident.not_found", message: "No such incident." } }, { status: 404 });
  const incident = await getIncident({ id });
  if (!incident) return Response.json({ error: { code: "incident.not_found", message: `There is no incident INC-${id}.` } }, { status: 404 });
  const [events, actions, deliveries] = await Promise.all([getIncidentEvents({ id }), getIncidentActions({ incident }), getDeliveries({ incidentId: id })]);
  const md = draftReport({ incident, events, actions, deliveries, now: Date.now() });
  await appendAudit({ actor, action: "incident.report_download", outcome: "succeeded", incidentRef: incident.ref }).catch(() => {});
  return new Response(md, {
    headers: {
      "Content-Type": "text/markdown; charset=utf-8",
      "Content-Disposition": `attachment; filename="${incident.ref}-report.md"`,
      "Cache-Control": "no-store",
    },
  });
});
