/**
 * The span helpers (lib/trace.ts) under a real tracer provider with an in-memory exporter: spans
 * nest, a check's id reaches the database calls under it, errors are recorded by type and code
 * only, and an outbound call is a client span with the peer's host, no secret path, its status,
 * and a traceparent header the peer receives. And when tracing is on at all (lib/tracing.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { activeCheckId, tracedFetch, withSpan } from "@/lib/trace";
import { tracingWanted } from "@/lib/tracing";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let server: http.Server;
let base = "";
const seen: { url: string; traceparent?: string; authorization?: string }[] = [];

beforeAll(async () => {
  provider.register();
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", traceparent: req.headers.traceparent as string | undefined, authorization: req.headers.authorization });
    res.writeHead(req.url?.startsWith("/fail") ? 503 : 200).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  exporter.reset();
  seen.length = 0;
});

const byName = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)!;

describe("withSpan", () => {
  it("nests spans and hands a check's id to the calls under it", async () => {
    const inner = await withSpan("check signals_recent", { "recovery.check.id": "signals_recent" }, () =>
      withSpan("db trading", {}, async () => activeCheckId()),
    );
    expect(inner).toBe("signals_recent");
    expect(activeCheckId()).toBeUndefined();
    const [db, check] = [byName("db trading"), byName("check signals_recent")];
    expect(db.parentSpanContext?.spanId).toBe(check.spanContext().spanId);
    expect(db.spanContext().traceId).toBe(check.spanContext().traceId);
  });

  it("records an error by its type and code, not its message, and throws it on", async () => {
    const err = Object.assign(new Error('invalid input syntax for type bigint: "secret-value"'), { name: "DbError", code: "db.query" });
    await expect(withSpan("db trading", {}, () => Promise.reject(err))).rejects.toBe(err);
    const span = byName("db trading");
    expect(span.status).toEqual({ code: 2, message: "db.query" });
    expect(span.attributes["error.type"]).toBe("db.query");
    expect(JSON.stringify(span.events)).not.toContain("secret-value");
    expect(span.events[0]?.attributes).toMatchObject({ "exception.type": "DbError", "exception.message": "db.query" });
  });
});

describe("tracedFetch", () => {
  it("is a client span with the peer's host, its status and a traceparent the peer receives; no path unless named", async () => {
    const res = await tracedFetch("webhook", `${base}/hooks/T000/B000/token-in-path?sig=abc`, { method: "POST", body: "{}" });
    expect(res.status).toBe(200);
    const span = byName("POST webhook");
    expect(span.kind).toBe(2); // CLIENT in the SDK's enum
    expect(span.attributes).toMatchObject({
      "http.request.method": "POST",
      "server.address": "127.0.0.1",
      "http.response.status_code": 200,
      "recovery.peer": "webhook",
    });
    expect(JSON.stringify(span.attributes)).not.toMatch(/token-in-path|sig=abc|hooks/);
    expect(seen[0]!.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it("marks an answer of 400 or more failed, with the route when the caller names it, and keeps the caller's Headers", async () => {
    const res = await tracedFetch("trade-director", `${base}/fail`, { method: "GET", headers: new Headers({ Authorization: "Bearer td-token" }) }, "/fail");
    expect(res.status).toBe(503);
    const span = byName("GET trade-director /fail");
    expect(span.status.code).toBe(2);
    expect(span.attributes).toMatchObject({ "url.template": "/fail", "http.response.status_code": 503, "error.type": "503" });
    expect(JSON.stringify(span.attributes)).not.toContain("td-token");
    expect(seen[0]).toMatchObject({ authorization: "Bearer td-token", traceparent: expect.stringContaining(span.spanContext().traceId) });
  });
});

describe("tracingWanted", () => {
  it("is on only with an OTLP endpoint, and off with OTEL_SDK_DISABLED=true", () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: " " })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
  });
});
