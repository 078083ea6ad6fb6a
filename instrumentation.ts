/**
 * Runs once when a server starts. The Node-only start-up lives in lib/server-start.ts, imported
 * only on the Node runtime (the Edge bundle must not see process.exit and friends).
 *
 * Tracing first, so that start-up and every request are traced; its SDK (lib/tracing.ts) is loaded
 * only when an OTLP endpoint is configured (docs/deploying.md, Traces).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    if (process.env.NEXT_PHASE !== "phase-production-build" && (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) {
      const { startTracing, tracingWanted } = await import("./lib/tracing.ts");
      if (tracingWanted(process.env)) startTracing();
    }
    const { startServer } = await import("./lib/server-start.ts");
    await startServer();
  }
}
