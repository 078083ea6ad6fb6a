import { AuthzError, authzErrorResponse, statusIsPublic, withPermission } from "@/lib/recovery/access/authz";
import { readStatus } from "@/lib/recovery/data";

export const dynamic = "force-dynamic";

async function answer(request: Request): Promise<Response> {
  return Response.json(await readStatus({ request }), { headers: { "Cache-Control": "no-store" } });
}

const signedIn = withPermission("status.read", answer);

/**
 * The stakeholder status: a reduced DTO built here, on the server, from the shared snapshot
 * (lib/recovery/health/status.ts). Any signed-in role (status.read), or anyone when
 * STATUS_PUBLIC=1; the full snapshot stays behind /api/health.
 */
export async function GET(request: Request, _ctx: unknown = {}): Promise<Response> {
  if (!statusIsPublic()) return signedIn(request, {});
  try {
    return await answer(request);
  } catch (err) {
    if (err instanceof AuthzError) return authzErrorResponse(err);
    throw err;
  }
}
