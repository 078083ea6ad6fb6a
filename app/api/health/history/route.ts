import { withPermission } from "@/lib/recovery/access/authz";
import { readHealthHistory } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** The sparklines' data: the last hour per check, and signals per minute. Same auth as /api/health. */
export const GET = withPermission("health.read", async (request) => {
  const history = await readHealthHistory({ request });
  return Response.json(history, { headers: { "Cache-Control": "no-store" } });
});
