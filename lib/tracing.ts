/**
 * Tracing on (docs/deploying.md, Traces): a tracer provider whose spans go, in batches, to the OTLP
 * endpoint over HTTP (JSON). Loaded by instrumentation.ts only when tracingWanted() holds, so that
 * a console without OTEL_EXPORTER_OTLP_ENDPOINT loads none of the SDK.
 *
 * Once registered, Next's own spans (one per request, `GET /api/health`, with the route and status)
 * and the console's (lib/trace.ts) share it: one trace per request, its checks, action steps,
 * database calls and outbound calls as children.
 *
 * The SDK reads the standard variables itself: OTEL_EXPORTER_OTLP_ENDPOINT (spans go to
 * <endpoint>/v1/traces) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG)
 * and OTEL_BSP_* (the batch's delay and sizes).
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { onShutdown } from "./shutdown.ts";

export const DEFAULT_SERVICE_NAME = "recovery-console";

/** Tracing is on when an OTLP endpoint is configured and the SDK is not disabled (OTEL_SDK_DISABLED=true). */
export function tracingWanted(env: Record<string, string | undefined>): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

const KEY = Symbol.for("recovery-console.tracer-provider");
const g = globalThis as unknown as { [KEY]?: NodeTracerProvider };

/**
 * Register the provider (once per process) and flush it at shutdown: scripts/console-server.ts
 * runs the hook (lib/shutdown.ts) after the requests in flight have finished, so their spans go out.
 */
export function startTracing(): NodeTracerProvider {
  const existing = g[KEY];
  if (existing) return existing;
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
  const resource = resourceFromAttributes({ "service.name": DEFAULT_SERVICE_NAME }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  g[KEY] = provider;
  onShutdown("traces", () => provider.shutdown());
  return provider;
}
