import { withPermission } from "@/lib/recovery/access/authz";
import { readHealth, readRunbook } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/**
 * The shared health snapshot, and the runbook version in force (hash, Last Updated, Owner; `valid`
 * is false while the file on disk does not load and the last good version serves). Session of any
 * role, or `Authorization: Bearer $CONSOLE_API_TOKEN`.
 */
export const GET = withPermission("health.read", async (request) => {
  const [snapshot, { current, error }] = await Promise.all([readHealth({ request }), readRunbook({ request })]);
  const runbook = { hash: current.hash, lastUpdated: current.lastUpdated, owner: current.owner, valid: !error };
  return Response.json({ ...snapshot, runbook }, { headers: { "Cache-Control": "no-store" } });
});
