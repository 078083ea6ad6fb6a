import { appendAudit } from "@/lib/recovery/audit/writer";
import { withPermission } from "@/lib/recovery/access/authz";
import { readIncident } from "@/lib/recovery/data";
import { draftReport } from "@/lib/recovery/incidents/report";

export const dynamic = "force-dynamic";

/** The drafted incident report as a Markdown download. */
export const GET = withPermission<{ params: Promise<{ id: string }> }>("incidents.read", async (request, { params, actor }) => {
  const id = Number((await params).id);
  if (!Number.isInteger(id) || id <= 0) return Response.json({ error: { code: "incident.not_found", message: "No such incident." } }, { status: 404 });
  const found = await readIncident(id, { request });
  if (!found) return Response.json({ error: { code: "incident.not_found", message: `There is no incident INC-${id}.` } }, { status: 404 });
  const { incident } = found;
  const md = draftReport({ ...found, now: Date.now() });
  await appendAudit({ actor, action: "incident.report_download", outcome: "succeeded", incidentRef: incident.ref }).catch(() => {});
  return new Response(md, {
    headers: {
      "Content-Type": "text/markdown; charset=utf-8",
      "Content-Disposition": `attachment; filename="${incident.ref}-report.md"`,
      "Cache-Control": "no-store",
    },
  });
});
