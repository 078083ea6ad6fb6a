import { withPermission } from "@/lib/recovery/access/authz";
import { openLiveStream } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The dashboard's live stream (server-sent events, lib/recovery/live/hub.ts): `health` events carry
 * /api/health's body and `incidents` events /api/incidents/current's, as this caller may see them,
 * at once and then at every refresh. The stream ends after LIVE_STREAM_SECONDS (jittered) and the
 * browser reconnects. Same access as /api/health.
 */
export const GET = withPermission("health.read", async (request) => {
  const stream = await openLiveStream({ request });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: Next's compression would hold the events back; X-Accel-Buffering: nginx's buffering likewise.
      "Cache-Control": "no-store, no-transform",
      "X-Accel-Buffering": "no",
    },
  });
});
