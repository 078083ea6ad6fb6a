import { statusIsPublic, withPermission } from "@/lib/recovery/access/authz";
import { readStatusFeed } from "@/lib/recovery/data";
import { ATOM_CONTENT_TYPE } from "@/lib/recovery/health/status-feed";

export const dynamic = "force-dynamic";

async function answer(request: Request): Promise<Response> {
  const xml = await readStatusFeed(new URL(request.url).origin, { request });
  return new Response(xml, { headers: { "Content-Type": ATOM_CONTENT_TYPE, "Cache-Control": "no-store" } });
}

const signedIn = withPermission("status.read", answer);

/**
 * The stakeholder status as an Atom feed (status changes and public notes): for feed readers,
 * which cannot sign in, so it is useful with STATUS_PUBLIC=1; otherwise it needs status.read (a
 * session, or the console's API token).
 */
export async function GET(request: Request, _ctx: unknown = {}): Promise<Response> {
  return statusIsPublic() ? answer(request) : signedIn(request, {});
}
