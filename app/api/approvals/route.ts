import { withPermission } from "@/lib/recovery/access/authz";
import { readPendingApprovals } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

/** Large recovery actions waiting for a second on-call's approval. */
export const GET = withPermission("actions.approve", async (request) => {
  const { actor, approvals } = await readPendingApprovals({ request });
  return Response.json(
    {
      approvals: approvals.map((a) => ({
        id: a.id,
        action: a.action,
        requestedBy: a.requestedByEmail,
        mine: a.requestedBy === actor.id,
        targetCount: a.targetCount,
        reason: a.params.reason,
        incidentRef: a.params.incidentRef,
        createdAt: a.createdAt.toISOString(),
        expiresAt: a.expiresAt.toISOString(),
      })),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
});
