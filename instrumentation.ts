/**
 * Runs once when a server starts. The Node-only start-up lives in lib/server-start.ts, imported
 * only on the Node runtime (the Edge bundle must not see process.exit and friends).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startServer } = await import("./lib/server-start.ts");
    await startServer();
  }
}
