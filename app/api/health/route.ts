import { withPermission } from "@/lib/recovery/access/authz";
import { readAuditAnchoring, readHealth, readRunbook } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The shared health snapshot, and the runbook version in force (hash, Last Updated, Owner; `valid`
 * is false while the file on disk does not load and the last good version serves), and
 * `auditAnchoring`: this process's audit anchorer (its last anchor, whether it refuses to anchor
 * because the chain does not verify, and why; lib/recovery/audit/anchors.ts). Session of any
 * role, or `Authorization: Bearer $CONSOLE_API_TOKEN`.
 */
export const GET = withPermission("health.read", async (request) => {
  const [snapshot, { current, error }, auditAnchoring] = await Promise.all([
    readHealth({ request }),
    readRunbook({ request }),
    readAuditAnchoring({ request }),
  ]);
  const runbook = { hash: current.hash, lastUpdated: current.lastUpdated, owner: current.owner, valid: !error };
  return Response.json({ ...snapshot, runbook, auditAnchoring }, { headers: { "Cache-Control": "no-store" } });
});
