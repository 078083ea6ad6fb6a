/**
 * Spans (docs/deploying.md, Traces): the console's one way to open a span, on @opentelemetry/api.
 * Until lib/tracing.ts registers a tracer provider (only when OTEL_EXPORTER_OTLP_ENDPOINT is set),
 * the API's tracer is a no-op: a span costs a function call and nothing is recorded or sent.
 *
 * What goes into attributes is chosen at each call: ids, names, counts, statuses, hosts. Never SQL
 * parameters, secrets, tokens, cookies, URLs' paths or queries (webhook URLs carry their tokens
 * there) or text a person typed (reasons). Errors are recorded by type and code only (a database
 * error's message can quote the values of the statement).
 *
 * No server-only marker: the console's scripts load the modules that call this.
 */
import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";

export const TRACER_NAME = "recovery-console";

const tracer = () => trace.getTracer(TRACER_NAME);

/** The check a span runs under, so that the database calls it makes carry its id (lib/db/client.ts). */
const CHECK_ID = createContextKey("recovery-console.check-id");

/** `fn` inside a span named `name`, a child of the active one; an error it throws is recorded on the span and thrown on. */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T, opts: { kind?: SpanKind } = {}): Promise<T> {
  const checkId = attributes["recovery.check.id"];
  const parent = typeof checkId === "string" ? context.active().setValue(CHECK_ID, checkId) : context.active();
  return tracer().startActiveSpan(name, { attributes, kind: opts.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The id of the health check the current code runs under, if any. */
export function activeCheckId(): string | undefined {
  return context.active().getValue(CHECK_ID) as string | undefined;
}

/**
 * Mark `span` failed with the error's type and code: `DbError` `db.timeout`, `TradeDirectorError`
 * `td.unreachable`, a system error's `ECONNREFUSED`. Not its message or stack.
 */
export function recordError(span: Span, err: unknown, what?: string): void {
  const e = (err ?? {}) as { name?: unknown; code?: unknown };
  const type = typeof e.name === "string" ? e.name : typeof err;
  const code = typeof e.code === "string" ? e.code : undefined;
  span.recordException({ name: type, message: code ?? what ?? type });
  span.setAttribute("error.type", code ?? type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? what ?? type });
}

/**
 * An outbound HTTP call (the trade director, a probe, a webhook, the identity provider) as a client
 * span: the method and the peer's host and port, and the route only when the caller names a fixed
 * one. The W3C trace context goes into `headers`, so a traced peer continues the trace.
 */
export function withOutboundSpan<T>(
  peer: string,
  req: { method: string; url: string; route?: string; headers?: Headers },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  let host: URL | null = null;
  try {
    host = new URL(req.url);
  } catch {
    // an unparsable URL: its call fails on its own
  }
  const attributes: Attributes = {
    "http.request.method": req.method,
    "recovery.peer": peer,
    ...(host ? { "server.address": host.hostname, "server.port": Number(host.port) || (host.protocol === "https:" ? 443 : 80) } : {}),
    ...(req.route ? { "url.template": req.route } : {}),
  };
  return withSpan(
    `${req.method} ${peer}${req.route ? ` ${req.route}` : ""}`,
    attributes,
    (span) => {
      if (req.headers) propagation.inject(context.active(), req.headers, { set: (h, key, value) => h.set(key, value) });
      return fn(span);
    },
    { kind: SpanKind.CLIENT },
  );
}

/**
 * fetch() as a client span (withOutboundSpan): the answer's status on it, and a status of 400 or
 * more marks it failed. `route` is the path when it is fixed and says nothing secret.
 */
export function tracedFetch(peer: string, url: string, init: RequestInit, route?: string): Promise<Response> {
  // Headers, a plain object or pairs, as fetch takes them; the trace context is added to a copy.
  const headers = new Headers(init.headers);
  return withOutboundSpan(peer, { method: init.method ?? "GET", url, route, headers }, async (span) => {
    const res = await fetch(url, { ...init, headers });
    span.setAttribute("http.response.status_code", res.status);
    if (res.status >= 400) {
      span.setAttribute("error.type", String(res.status));
      span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
    }
    return res;
  });
}
