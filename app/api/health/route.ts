import { withPermission } from "@/lib/recovery/authz";
import { healthMonitor } from "@/lib/recovery/snapshot";

export const dynamic = "force-dynamic";

/** The shared health snapshot. Session of any role, or `Authorization: Bearer $CONSOLE_API_TOKEN`. */
export const GET = withPermission("health.read", async () => {
  const snapshot = await healthMonitor().get();
  return Response.json(snapshot, { headers: { "Cache-Control": "no-store" } });
});
