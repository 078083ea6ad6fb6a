/**
 * A trivial static route: its answer is built once, at build time, and served from Next's cache.
 * `npm run bench` (serving_ratio) compares the throughput of /api/health, served from the shared
 * health snapshot, with this. Public; it carries no data.
 */
export const dynamic = "force-static";

export function GET() {
  return new Response("ok\n", { headers: { "Content-Type": "text/plain" } });
}
