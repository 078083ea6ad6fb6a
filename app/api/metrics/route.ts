import { withPermission } from "@/lib/recovery/access/authz";
import { METRICS_CONTENT_TYPE, renderMetrics } from "@/lib/recovery/health/metrics";
import { readMetricsInput } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The shared snapshot in the Prometheus text format, for scrapers. Same auth as /api/health:
 * a session, or `Authorization: Bearer $CONSOLE_API_TOKEN` (Prometheus' `authorization` config).
 */
export const GET = withPermission("health.read", async (request) => {
  const { snapshot, evaluations, sharedReads, anchoring, leader, live } = await readMetricsInput({ request });
  return new Response(renderMetrics(snapshot, { evaluations, sharedReads, anchoring, leader, live }), {
    headers: { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
});
