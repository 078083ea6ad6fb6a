/**
 * A local OTLP/HTTP trace receiver, as a collector would be: POST /v1/traces with a JSON
 * ExportTraceServiceRequest (what the console's exporter sends, lib/tracing.ts), answered 200.
 * It keeps every span, flattened, and every body as received (to search them for what must not be there).
 * Anything else (protobuf, another path) is answered 415/404 and counted, so a wrong exporter shows.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
};
type ExportRequest = { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[] };

export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  scope: string;
  service: string | null;
  attributes: Record<string, string | number | boolean>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
};

export type OtlpReceiver = {
  url: string;
  spans(): ReceivedSpan[];
  bodies(): string[];
  refused(): number;
  close(): Promise<void>;
};

function valueOf(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return JSON.stringify(v);
}

function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        refused++;
        res.writeHead(404).end();
        return;
      }
      if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
        refused++;
        res.writeHead(415).end();
        return;
      }
      const body = Buffer.concat(chunks).toString("utf8");
      let parsed: ExportRequest;
      try {
        parsed = JSON.parse(body) as ExportRequest;
      } catch {
        refused++;
        res.writeHead(400).end();
        return;
      }
      bodies.push(body);
      for (const rs of parsed.resourceSpans ?? []) {
        const service = attrs(rs.resource?.attributes)["service.name"];
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || null,
              name: s.name,
              kind: s.kind ?? 0,
              scope: ss.scope?.name ?? "",
              service: typeof service === "string" ? service : null,
              attributes: attrs(s.attributes),
              statusCode: s.status?.code ?? 0,
            });
          }
        }
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    bodies: () => [...bodies],
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The span's ancestors, nearest first, among `all` (stops where a parent was not received). */
export function ancestors(span: ReceivedSpan, all: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const out: ReceivedSpan[] = [];
  for (let p = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; p && out.length < 100; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
    out.push(p);
  }
  return out;
}
