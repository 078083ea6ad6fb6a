import { withPermission } from "@/lib/recovery/access/authz";
import { readOpenIncidents } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** Open incidents for the dashboard banner, with the escalation clock computed on the server. */
export const GET = withPermission("health.read", async (request) => {
  try {
    return Response.json(await readOpenIncidents({ request }), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    console.error("[incidents] cannot list open incidents:", err);
    return Response.json(
      { error: { code: "incidents.unavailable", message: "The console store cannot be reached: incidents are unknown right now." } },
      { status: 503 },
    );
  }
});
