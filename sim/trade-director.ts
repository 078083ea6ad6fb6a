/**
 * A simulated DistortSignals trade director: the admin HTTP contract the recovery
 * console drives (runbook scenario 2, "Reset circuit breaker: curl -X POST
 * http://trade-director/admin/reset-circuit"), plus hooks for tests and the world.
 *
 *   GET  /admin/circuit        -> 200 CircuitSnapshot
 *   POST /admin/reset-circuit  -> 200 CircuitSnapshot & { previous, resetCount }
 *   POST /admin/halt           -> 200 CircuitSnapshot & { previous }   (processing off)
 *   POST /admin/resume         -> 200 CircuitSnapshot & { previous }   (processing on)
 *
 * POSTs honour an `Idempotency-Key` header: the same key on the same endpoint within
 * 10 minutes gets the first response back (with `Idempotent-Replayed: true`) and has
 * no further effect. With `token` set, every /admin endpoint needs
 * `Authorization: Bearer <token>`.
 *
 * `mode` simulates a sick director for every request, before auth:
 *   - "hang": the request is accepted and never answered until `mode` changes (then it
 *     is handled under the new mode, if its client is still waiting) or `close()`.
 *   - "error500": 500 with a JSON error body.
 * `failNextPosts(...)` answers the next POSTs one by one with an HTTP status (a gateway's 503, say)
 * or "drop" (the request arrived, then the connection is reset), then behaves normally again.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { closeServer, listen, pathOf, sendJson } from "./http.ts";

export type CircuitState = "closed" | "open" | "half-open";
export type DirectorMode = "normal" | "hang" | "error500";

export interface CircuitSnapshot {
  state: CircuitState;
  failures: number;
  openedAt: string | null;
  lastResetAt: string | null;
  processing: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  at: string;
}

export interface TradeDirectorSim {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string;
  /** The breaker state; assignable (`director.state = "open"`) as well as via the methods below. */
  state: CircuitState;
  mode: DirectorMode;
  /** Whether the director processes directives at all (POST /admin/halt and /admin/resume). */
  processing: boolean;
  readonly failures: number;
  /** Effective resets through POST /admin/reset-circuit (idempotent replays not counted). */
  readonly resetCount: number;
  /** Every request received, oldest first (hung ones included). */
  readonly requests: RecordedRequest[];
  /** Answer the next POSTs with these, in order, before handling them (see the module comment). */
  failNextPosts(...answers: (number | "drop")[]): void;
  /** Opens the breaker as if `failures` consecutive executions had failed. */
  open(failures?: number): void;
  halfOpen(): void;
  /**
   * Closes the breaker (what a reset does, minus the counting). Not called `close()`:
   * that name shuts the server down, like the other sims.
   */
  closeCircuit(): void;
  halt(): void;
  resume(): void;
  snapshot(): CircuitSnapshot;
  /** Stops the server, destroying open and hanging connections. */
  close(): Promise<void>;
}

const IDEMPOTENCY_TTL_MS = 10 * 60 * 1000;
const DEFAULT_TRIP_FAILURES = 5;

interface RecordedResponse {
  at: number;
  status: number;
  body: unknown;
}

interface HungRequest {
  req: IncomingMessage;
  res: ServerResponse;
}

export async function startTradeDirector(opts: { port: number; host?: string; token?: string }): Promise<TradeDirectorSim> {
  let state: CircuitState = "closed";
  let failures = 0;
  let openedAt: string | null = null;
  let lastResetAt: string | null = null;
  let processing = true;
  let mode: DirectorMode = "normal";
  const failPosts: (number | "drop")[] = [];
  let resetCount = 0;
  const requests: RecordedRequest[] = [];
  const hung = new Set<HungRequest>();
  const idempotent = new Map<string, RecordedResponse>();

  const snapshot = (): CircuitSnapshot => ({ state, failures, openedAt, lastResetAt, processing });

  const setState = (next: CircuitState, tripFailures = DEFAULT_TRIP_FAILURES): void => {
    if (next === "closed") {
      failures = 0;
      openedAt = null;
    } else if (next === "open") {
      if (state !== "open") openedAt = new Date().toISOString();
      failures = Math.max(failures, tripFailures);
    } else {
      // half-open keeps openedAt: it is still the same outage, now being probed.
      openedAt ??= new Date().toISOString();
    }
    state = next;
  };

  /** The effect of one admin POST; returns the response to send (and to record). */
  const actions: Record<string, () => { status: number; body: unknown }> = {
    "/admin/reset-circuit": () => {
      const previous = state;
      setState("closed");
      lastResetAt = new Date().toISOString();
      resetCount += 1;
      return { status: 200, body: { ...snapshot(), previous, resetCount } };
    },
    "/admin/halt": () => {
      const previous = processing;
      processing = false;
      return { status: 200, body: { ...snapshot(), previous: { processing: previous } } };
    },
    "/admin/resume": () => {
      const previous = processing;
      processing = true;
      return { status: 200, body: { ...snapshot(), previous: { processing: previous } } };
    },
  };

  const authorized = (req: IncomingMessage): boolean => opts.token === undefined || req.headers.authorization === `Bearer ${opts.token}`;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (mode === "hang") {
      // Accept and sit on it; a mode change or close() releases it (runbook scenario 2:
      // a wedged director that never answers, so the console's timeout must fire).
      const entry: HungRequest = { req, res };
      hung.add(entry);
      res.once("close", () => hung.delete(entry));
      return;
    }
    req.resume(); // bodies are never needed; drain so keep-alive works
    if (req.method === "POST" && failPosts.length) {
      const answer = failPosts.shift()!;
      if (answer === "drop") req.socket.destroy();
      else sendJson(res, answer, { error: "simulated", message: `Simulated ${answer} before the director` });
      return;
    }
    if (mode === "error500") {
      sendJson(res, 500, { error: "internal_error", message: "Simulated trade director failure" });
      return;
    }

    const path = pathOf(req);
    const method = req.method ?? "GET";
    if (!path.startsWith("/admin/")) {
      sendJson(res, 404, { error: "not_found", message: `No route for ${method} ${path}` });
      return;
    }
    if (!authorized(req)) {
      sendJson(
        res,
        401,
        { error: "unauthorized", message: "Missing or invalid bearer token" },
        {
          "www-authenticate": "Bearer",
        },
      );
      return;
    }

    if (path === "/admin/circuit") {
      if (method !== "GET") return sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET" });
      return sendJson(res, 200, snapshot());
    }

    const action = actions[path];
    if (!action) {
      sendJson(res, 404, { error: "not_found", message: `No route for ${method} ${path}` });
      return;
    }
    if (method !== "POST") return sendJson(res, 405, { error: "method_not_allowed" }, { allow: "POST" });

    const key = req.headers["idempotency-key"];
    const now = Date.now();
    for (const [k, v] of idempotent) if (now - v.at > IDEMPOTENCY_TTL_MS) idempotent.delete(k);
    if (typeof key === "string" && key !== "") {
      const seen = idempotent.get(`${path} ${key}`);
      if (seen) {
        sendJson(res, seen.status, seen.body, { "idempotent-replayed": "true" });
        return;
      }
    }
    const result = action();
    if (typeof key === "string" && key !== "") {
      idempotent.set(`${path} ${key}`, { at: now, ...result });
    }
    sendJson(res, result.status, result.body);
  };

  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "GET",
      path: pathOf(req),
      headers: { ...req.headers },
      at: new Date().toISOString(),
    });
    handle(req, res);
  });

  const url = await listen(server, opts.port, opts.host ?? "127.0.0.1");

  return {
    url,
    get state() {
      return state;
    },
    set state(next: CircuitState) {
      setState(next);
    },
    failNextPosts(...answers: (number | "drop")[]) {
      failPosts.push(...answers);
    },
    get mode() {
      return mode;
    },
    set mode(next: DirectorMode) {
      mode = next;
      if (next === "hang") return;
      // Answer the parked requests under the new mode, skipping clients that gave up.
      for (const entry of [...hung]) {
        hung.delete(entry);
        if (!entry.res.destroyed && !entry.req.socket.destroyed) handle(entry.req, entry.res);
      }
    },
    get processing() {
      return processing;
    },
    set processing(on: boolean) {
      processing = on;
    },
    get failures() {
      return failures;
    },
    get resetCount() {
      return resetCount;
    },
    requests,
    open: (tripFailures = DEFAULT_TRIP_FAILURES) => setState("open", tripFailures),
    halfOpen: () => setState("half-open"),
    closeCircuit: () => setState("closed"),
    halt: () => {
      processing = false;
    },
    resume: () => {
      processing = true;
    },
    snapshot,
    close: async () => {
      hung.clear();
      await closeServer(server);
    },
  };
}
