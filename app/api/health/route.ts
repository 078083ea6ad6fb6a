import { withPermission } from "@/lib/recovery/authz";
import { readHealth } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** The shared health snapshot. Session of any role, or `Authorization: Bearer $CONSOLE_API_TOKEN`. */
export const GET = withPermission("health.read", async (request) => {
  const snapshot = await readHealth({ request });
  return Response.json(snapshot, { headers: { "Cache-Control": "no-store" } });
});
