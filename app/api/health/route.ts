import { withPermission } from "@/lib/recovery/access/authz";
import { readHealthBody } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The shared health snapshot, and the runbook version in force (hash, Last Updated, Owner; `valid`
 * is false while the file on disk does not load and the last good version serves), and
 * `auditAnchoring`: this process's audit anchorer (its last anchor, whether it refuses to anchor
 * because the chain does not verify, and why; lib/recovery/audit/anchors.ts). Session of any
 * role, or `Authorization: Bearer $CONSOLE_API_TOKEN`. Open dashboards get the same body pushed
 * (GET /api/live).
 */
export const GET = withPermission("health.read", async (request) =>
  Response.json(await readHealthBody({ request }), { headers: { "Cache-Control": "no-store" } }),
);
