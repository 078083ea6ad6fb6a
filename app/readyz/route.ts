import { env } from "@/lib/env";
import { consoleStoreState } from "@/lib/db/migrate";

export const dynamic = "force-dynamic";

/**
 * Readiness: 200 when the console store answers and every migration in drizzle/console is applied,
 * 503 otherwise (docs/deploying.md). Unauthenticated and carries no data beyond that one word; a
 * fresh connection with a short timeout, so a full pool or a down store answers 503, not a hang.
 */
export async function GET() {
  const e = env();
  const url = e.CONSOLE_DATABASE_URL ?? e.TRADING_DATABASE_URL;
  let state: string;
  if (!url) state = "no console store configured";
  else {
    try {
      // The working folder holds drizzle/ (the entry point runs from the console's root).
      const s = await consoleStoreState(url, process.cwd(), { connectTimeoutS: 3 });
      state = s === "up-to-date" ? "ready" : s === "pending" ? "migrations pending" : "migrations unreadable";
    } catch {
      state = "console store unreachable";
    }
  }
  return new Response(`${state}\n`, {
    status: state === "ready" ? 200 : 503,
    headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" },
  });
}
