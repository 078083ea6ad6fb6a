/**
 * A simulated Cloudflare worker (e.g. `tick-factory`) for runbook scenario 4,
 * "Cloudflare Worker Rate Limiting: 429 errors from tick-factory or other workers".
 *
 *   GET /health -> 200 {"ok":true}                      (normal)
 *   any request -> 429 + Retry-After: <seconds>          (after rateLimit())
 */
import { createServer } from "node:http";
import { closeServer, listen, pathOf, sendJson } from "./http.ts";

export interface WorkerSim {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:40124 (no trailing slash). */
  readonly url: string;
  /** Retry-After seconds while rate limited, or null when healthy. */
  readonly rateLimitedFor: number | null;
  /** Requests received since start (rate-limited ones included). */
  readonly requestCount: number;
  /** From now on answer every request with 429 and `Retry-After: retryAfterSeconds`. */
  rateLimit(retryAfterSeconds?: number): void;
  heal(): void;
  close(): Promise<void>;
}

const DEFAULT_RETRY_AFTER_SECONDS = 30;

export async function startWorkerSim(opts: { port: number; name: string; host?: string }): Promise<WorkerSim> {
  let retryAfter: number | null = null;
  let requestCount = 0;

  const server = createServer((req, res) => {
    requestCount += 1;
    req.resume();
    res.setHeader("x-worker-name", opts.name);
    if (retryAfter !== null) {
      // Cloudflare's rate limiting applies to the whole route, health included.
      sendJson(res, 429, { ok: false, error: "rate_limited", worker: opts.name, retryAfterSeconds: retryAfter }, { "retry-after": String(retryAfter) });
      return;
    }
    const path = pathOf(req);
    if (path === "/health" && (req.method === "GET" || req.method === "HEAD")) {
      sendJson(res, 200, { ok: true });
      return;
    }
    sendJson(res, 404, { ok: false, error: "not_found", worker: opts.name });
  });

  const url = await listen(server, opts.port, opts.host ?? "127.0.0.1");

  return {
    name: opts.name,
    url,
    get rateLimitedFor() {
      return retryAfter;
    },
    get requestCount() {
      return requestCount;
    },
    rateLimit(retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS) {
      retryAfter = Math.max(1, Math.round(retryAfterSeconds));
    },
    heal() {
      retryAfter = null;
    },
    close: () => closeServer(server),
  };
}
