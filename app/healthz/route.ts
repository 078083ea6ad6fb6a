export const dynamic = "force-dynamic";

/** The console's own liveness: unauthenticated, and carries no data. */
export function GET() {
  return new Response("ok\n", { headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" } });
}
