import { withPermission } from "@/lib/recovery/authz";
import { healthMonitor } from "@/lib/recovery/snapshot";

export const dynamic = "force-dynamic";

/** The sparklines' data: the last hour per check, and signals per minute. Same auth as /api/health. */
export const GET = withPermission("health.read", async () => {
  const history = await healthMonitor().historySnapshot();
  return Response.json(history, { headers: { "Cache-Control": "no-store" } });
});
