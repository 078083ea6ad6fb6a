import { withPermission } from "@/lib/recovery/authz";
import { healthMonitor } from "@/lib/recovery/snapshot";
import { buildStatus } from "@/lib/recovery/status";
import { statusIncident } from "@/lib/recovery/incidents/view";
import { orNullAfter } from "@/lib/time";

export const dynamic = "force-dynamic";

/**
 * The stakeholder status: a reduced DTO built here, on the server, from the shared snapshot
 * (lib/recovery/status.ts). Any signed-in role (status.read); the full snapshot stays behind
 * /api/health.
 */
export const GET = withPermission("status.read", async () => {
  const monitor = healthMonitor();
  const [snapshot, incident] = await Promise.all([monitor.get(), orNullAfter(statusIncident(), 1500)]);
  return Response.json(buildStatus(snapshot, { history: (id) => monitor.historyOf(id), incident }), { headers: { "Cache-Control": "no-store" } });
});
