import { withPermission } from "@/lib/recovery/authz";
import { METRICS_CONTENT_TYPE, renderMetrics } from "@/lib/recovery/metrics";
import { healthMonitor } from "@/lib/recovery/snapshot";

export const dynamic = "force-dynamic";

/**
 * The shared snapshot in the Prometheus text format, for scrapers. Same auth as /api/health:
 * a session, or `Authorization: Bearer $CONSOLE_API_TOKEN` (Prometheus' `authorization` config).
 */
export const GET = withPermission("health.read", async () => {
  const monitor = healthMonitor();
  const snapshot = await monitor.get();
  return new Response(renderMetrics(snapshot, { evaluations: monitor.evaluations }), {
    headers: { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
});
