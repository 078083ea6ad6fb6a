/**
 * The traces drill (issue 15, docs/deploying.md Traces): the console restarted with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP receiver (tests/support/otlp-receiver.ts);
 * a health request and one recovery action (Reset circuit breaker, through the server action as a
 * browser posts it); then the receiver must hold, from service recovery-console:
 *  - Next's server span of the health request;
 *  - a span per check (with its id), each under an evaluation, and the database calls of the
 *    trading checks as their children (with the check's id);
 *  - the action's stages and steps in the confirm request's trace, under Next's server span:
 *    guards, intent audit, effect, the client span of the call to the trade director (whose
 *    traceparent header carries the same trace), outcome audit and re-check;
 *  - nothing secret: no reason, token, cookie or secret in what was exported.
 * The console is put back without tracing afterwards.
 */
import { ancestors, startOtlpReceiver, type ReceivedSpan } from "../tests/support/otlp-receiver.ts";
import { confirmRequest, preview, type ActionState } from "../tests/support/harness/console.ts";
import type { Drill } from "./drills.ts";
import { health, until } from "./world.ts";

function assert(cond: unknown, why: string): asserts cond {
  if (!cond) throw new Error(why);
}

const TRACING_ENV = {
  // The batch goes out every 200 ms rather than every 5 s, so the drill waits less.
  OTEL_BSP_SCHEDULE_DELAY: "200",
};

const trading = ["signals_recent", "directives_stale_pending", "executions_failed", "db_connections", "idle_transactions"];

/** What the drill needs to find, or null with the first thing missing (for until's message). */
function findAll(spans: ReceivedSpan[], checkIds: string[], director: { traceparents: () => string[] }) {
  const missing = (what: string) => ({ ok: false as const, what });
  const mine = spans.filter((s) => s.service === "recovery-console");
  const healthRequest = mine.find((s) => s.kind === 2 && s.scope === "next.js" && String(s.attributes["http.target"] ?? s.name).includes("/api/health"));
  if (!healthRequest) return missing("Next's server span of GET /api/health");
  const checks = new Map<string, ReceivedSpan>();
  for (const id of checkIds) {
    const c = mine.find(
      (s) => s.name === `check ${id}` && s.attributes["recovery.check.id"] === id && ancestors(s, mine).some((a) => a.name === "health.evaluate"),
    );
    if (!c) return missing(`the span of check ${id} under a health.evaluate`);
    checks.set(id, c);
  }
  for (const id of trading.filter((t) => checkIds.includes(t))) {
    const c = checks.get(id)!;
    const db = mine.find((s) => s.name === "db trading" && s.parentSpanId === c.spanId && s.traceId === c.traceId && s.attributes["recovery.check.id"] === id);
    if (!db) return missing(`a "db trading" span under check ${id}`);
  }
  const confirm = mine.find(
    (s) => s.name === "action.confirm" && s.attributes["recovery.action"] === "circuit.reset" && s.attributes["recovery.action.code"] === "outcome.succeeded",
  );
  if (!confirm) return missing("action.confirm of circuit.reset (outcome.succeeded)");
  const server = ancestors(confirm, mine).find((a) => a.kind === 2 && a.scope === "next.js");
  if (!server) return missing("Next's server span above action.confirm");
  const inRun = (name: string) => mine.find((s) => s.name === name && s.traceId === confirm.traceId && ancestors(s, mine).includes(confirm));
  const steps = [
    "action.guard admit",
    "action.guard idempotency",
    "action.guard cooldown",
    "action.guard approval",
    "action.audit intent",
    "action.effect",
    "action.audit outcome",
    "action.recheck",
  ];
  for (const step of steps) if (!inRun(step)) return missing(`${step} under action.confirm`);
  const effect = inRun("action.effect")!;
  const call = mine.find((s) => s.name === "POST trade-director /admin/reset-circuit" && s.parentSpanId === effect.spanId);
  if (!call) return missing("the client span of POST /admin/reset-circuit under action.effect");
  if (call.kind !== 3 || call.attributes["http.response.status_code"] !== 200)
    return missing(`a client span with status 200 (got kind ${call.kind}, ${call.attributes["http.response.status_code"]})`);
  if (!director.traceparents().some((t) => t.split("-")[1] === confirm.traceId && t.split("-")[2] === call.spanId))
    return missing(`the reset request to the director carrying traceparent 00-${confirm.traceId}-${call.spanId}-…`);
  const recheck = inRun("action.recheck")!;
  if (!mine.some((s) => s.name === "check circuit_breaker" && s.parentSpanId === recheck.spanId)) return missing("the re-check's check circuit_breaker span");
  return { ok: true as const, healthRequest, confirm, server, call, count: mine.length };
}

export const traces: Drill = {
  name: "traces",
  fast: true,
  what: "with OTEL_EXPORTER_OTLP_ENDPOINT set, a local OTLP receiver gets a health request's, each check's and an action's spans, linked in their traces",
  async run(world, log) {
    const receiver = await startOtlpReceiver();
    try {
      await world.app.stop();
      await world.relaunch({ ...TRACING_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      log(`console restarted with OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url}`);

      const h = await health(world);
      const checkIds = h.body.checks.map((c) => c.id);
      world.director.open();
      const cookie = await world.cookie(world.oncall);
      const p = await preview(world.client, "ResetCircuit", cookie);
      const req = await confirmRequest(world.client, "ResetCircuit", p, cookie);
      const answer = await world.client.send<ActionState>(req, { timeoutMs: 15_000 });
      assert(answer.value?.ok, `the reset was not done (${answer.status}): ${answer.value?.message ?? answer.text.slice(0, 200)}`);

      const traceparents = () =>
        world.director.requests
          .filter((r) => r.path === "/admin/reset-circuit" && typeof r.headers.traceparent === "string")
          .map((r) => r.headers.traceparent as string);
      let lastMissing = "";
      const found = await until(
        "the receiver to hold the request, check and action spans",
        async () => {
          const r = findAll(receiver.spans(), checkIds, { traceparents });
          if (!r.ok) lastMissing = r.what;
          return r.ok ? r : null;
        },
        20_000,
        200,
      ).catch((err: unknown) => {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}; missing: ${lastMissing}; ${receiver.spans().length} spans received, ${receiver.refused()} requests refused`,
        );
      });
      log(
        `${found.count} spans received; ${checkIds.length} checks, the health request (${found.healthRequest.name} ${JSON.stringify(found.healthRequest.attributes)}) and the reset's trace ${found.confirm.traceId}: ` +
          `${found.server.name} → action.confirm → … → ${found.call.name}`,
      );

      // Nothing secret went out: the reason typed, the tokens, the cookie, the session secret.
      const exported = receiver.bodies().join("\n");
      const reason = "Game day: runbook step exercised";
      assert(req.body.includes(reason), "the confirm request carries no reason to look for");
      const secrets = {
        reason,
        AUTH_SECRET: world.app.authSecret,
        CONSOLE_API_TOKEN: world.app.apiToken,
        cookie: cookie.split("=").slice(1).join("=").slice(0, 40),
        heartbeat: world.heartbeatToken,
      };
      for (const [what, value] of Object.entries(secrets)) assert(!exported.includes(value), `the exported spans contain the ${what}`);
    } finally {
      world.director.closeCircuit();
      await world.app.stop();
      await world.relaunch({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_BSP_SCHEDULE_DELAY: undefined });
      await receiver.close();
    }
  },
};
