import { withPermission } from "@/lib/recovery/access/authz";
import { readAutomation } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** What automation will do next per policy, and what it did for the open incidents (the panels' automation line). */
export const GET = withPermission("health.read", async (request) => {
  return Response.json(await readAutomation({ request }), { headers: { "Cache-Control": "no-store" } });
});
