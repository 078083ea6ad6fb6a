import "server-only";
/**
 * Reset circuit: runbook scenario 2, step 3 (`curl -X POST http://trade-director/admin/reset-circuit`).
 *
 * Reads the circuit before and after. Each attempt has a 3 s deadline (TRADE_DIRECTOR_TIMEOUT_MS)
 * and sends X-Request-Id and Idempotency-Key. At most one retry, with jitter, and only where it
 * is safe: when the request never reached the director (connection refused) or a gateway said so
 * (502/503/504). A timeout is `timeout_unknown`: the reset may have happened, so we read the state
 * again instead of retrying blindly.
 */
import { z } from "zod";
import { getCircuit, postResetCircuit, TradeDirectorError, type Circuit } from "./trade-director.ts";
import { checkForAction } from "../health/checks/index.ts";
import type { ActionDefinition, ExecuteResult } from "./types.ts";

type Target = { target: "trade-director"; stateAtPreview: string };

async function readState(): Promise<Circuit | { state: "unknown"; error: string }> {
  try {
    return await getCircuit();
  } catch (err) {
    return { state: "unknown", error: err instanceof Error ? err.message : String(err) };
  }
}

/** Errors that mean the request never reached the director: no connection was made at all. */
const NEVER_ARRIVED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * Safe to send again: the request never arrived, or a gateway in front answered for the director.
 * Not a reset connection (the request may have arrived), a 500 (the director handled it) or a timeout.
 */
export const retryable = (err: unknown) =>
  err instanceof TradeDirectorError &&
  ((err.code === "td.unreachable" && NEVER_ARRIVED.has(err.cause ?? "")) || (err.code === "td.http" && [502, 503, 504].includes(err.status ?? 0)));

export const resetCircuit: ActionDefinition<Target, Record<string, never>> = {
  name: "circuit.reset",
  title: "Reset circuit",
  checkId: checkForAction("circuit.reset"),
  destructive: false,
  cooldownSeconds: (e) => e.ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS,
  approvalThreshold: () => undefined,
  params: z.object({}).strict(),
  targetKey: (t) => t.target,

  async preview() {
    const current = await readState();
    const state = current.state;
    return {
      targets: [{ target: "trade-director", stateAtPreview: state }],
      excluded: [],
      columns: [
        { key: "service", label: "Service" },
        { key: "state", label: "Circuit now" },
        { key: "effect", label: "Effect" },
      ],
      rows: [{ service: "trade director", state, effect: "POST /admin/reset-circuit: close the breaker" }],
      summary:
        state === "closed"
          ? "The circuit is already closed; a reset changes nothing."
          : state === "unknown"
            ? `The circuit state cannot be read (${(current as { error: string }).error}); the reset may still work.`
            : `The circuit is ${state}; the reset closes it so the trade director processes directives again.`,
    };
  },

  async execute(_targets, { idempotencyKey, requestId }): Promise<ExecuteResult> {
    const before = await readState();
    let attempts = 0;
    let lastError: unknown;
    for (;;) {
      attempts++;
      try {
        await postResetCircuit({ requestId, idempotencyKey });
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
        if (attempts >= 2 || !retryable(err)) break;
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 500));
      }
    }
    const after = await readState();
    const detail = { stateBefore: before.state, stateAfter: after.state, attempts };
    if (lastError instanceof TradeDirectorError && lastError.code === "td.timeout") {
      return {
        outcome: "timeout_unknown",
        perTarget: [{ target: "trade-director", outcome: "timeout_unknown", detail: `no answer in time; circuit now ${after.state}` }],
        message: `The trade director did not answer in time: the reset may or may not have happened. The circuit now reads "${after.state}". Check it before trying again.`,
        detail,
        error: lastError.message,
      };
    }
    if (lastError) {
      const message = lastError instanceof Error ? lastError.message : String(lastError);
      return {
        outcome: "failed",
        perTarget: [{ target: "trade-director", outcome: "failed", detail: message }],
        message: `The reset failed: ${message}. The circuit reads "${after.state}". Check the trade director's logs (runbook scenario 2, step 1).`,
        detail,
        error: message,
      };
    }
    if (after.state !== "closed") {
      return {
        outcome: "failed",
        perTarget: [{ target: "trade-director", outcome: "still_" + after.state }],
        message: `The trade director accepted the reset but the circuit reads "${after.state}". It may have tripped again: check the MT5 connection (runbook scenario 2, step 2).`,
        detail,
      };
    }
    return {
      outcome: "succeeded",
      perTarget: [{ target: "trade-director", outcome: "reset", detail: `${before.state} → closed` }],
      message: `Circuit reset: ${before.state} → closed.`,
      detail,
    };
  },
};
