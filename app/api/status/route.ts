import { withPermission } from "@/lib/recovery/access/authz";
import { readStatus } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The stakeholder status: a reduced DTO built here, on the server, from the shared snapshot
 * (lib/recovery/health/status.ts). Any signed-in role (status.read); the full snapshot stays behind
 * /api/health.
 */
export const GET = withPermission("status.read", async (request) => {
  return Response.json(await readStatus({ request }), { headers: { "Cache-Control": "no-store" } });
});
