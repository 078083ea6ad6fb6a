import "server-only";
/**
 * Halt trading: the runbook's Level 3 ("30+ min: Halt trading, notify stakeholders"), when the
 * trade director exposes a halt endpoint (TRADE_DIRECTOR_HALT_URL). Two people must agree unless an
 * incident has already reached L3, where the runbook itself asks for it. Without the URL, the
 * console shows the manual instruction instead.
 */
import { z } from "zod";
import { env } from "../../env.ts";
import { tracedFetch } from "../../trace.ts";
import { listOpenIncidents } from "../../db/queries/incidents.ts";
import { escalation } from "../incidents/escalation.ts";
import { escalationPolicy } from "../runbook/source.ts";
import type { ActionDefinition, ExecuteResult } from "./types.ts";

type Target = { target: "trade-director" };

async function atLevel3(): Promise<boolean> {
  const open = await listOpenIncidents();
  const policy = escalationPolicy();
  return open.some((i) => Math.max(i.level, escalation(i.startedAt, Date.now(), policy).level) >= 3);
}

export const haltTrading: ActionDefinition<Target, Record<string, never>> = {
  name: "trading.halt",
  title: "Halt trading",
  checkId: null,
  destructive: true,
  // One target whatever happens: typing "1" would confirm nothing. The words name the effect.
  confirmationWords: "HALT TRADING",
  cooldownSeconds: () => 30,
  approvalThreshold: () => undefined,
  requiresApproval: async () => !(await atLevel3()),
  params: z.object({}).strict(),
  targetKey: (t) => t.target,

  async preview() {
    const url = env().TRADE_DIRECTOR_HALT_URL;
    if (!url) throw new Error("TRADE_DIRECTOR_HALT_URL is not set: halt trading by hand, as the runbook's level 3 says");
    const l3 = await atLevel3();
    return {
      targets: [{ target: "trade-director" }],
      excluded: [],
      columns: [
        { key: "service", label: "Service" },
        { key: "effect", label: "Effect" },
      ],
      rows: [{ service: "trade director", effect: `POST ${new URL(url).pathname}: stop processing directives` }],
      summary: l3
        ? "An incident is at level 3: the runbook asks to halt trading. The trade director will stop processing directives until resumed."
        : "No incident is at level 3 yet: halting trading now needs a second on-call's approval.",
    };
  },

  async execute(_targets, { idempotencyKey, requestId }): Promise<ExecuteResult> {
    const e = env();
    const url = e.TRADE_DIRECTOR_HALT_URL!;
    try {
      const res = await tracedFetch("trade-director", url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Request-Id": requestId,
          "Idempotency-Key": idempotencyKey,
          ...(e.TRADE_DIRECTOR_TOKEN ? { Authorization: `Bearer ${e.TRADE_DIRECTOR_TOKEN}` } : {}),
        },
        body: "{}",
        signal: AbortSignal.timeout(e.TRADE_DIRECTOR_TIMEOUT_MS),
      });
      if (!res.ok) {
        const message = `the trade director answered HTTP ${res.status}`;
        return {
          outcome: "failed",
          perTarget: [{ target: "trade-director", outcome: "failed", detail: message }],
          message: `Halt failed: ${message}. Halt trading by hand now.`,
          error: message,
        };
      }
      return {
        outcome: "succeeded",
        perTarget: [{ target: "trade-director", outcome: "halted" }],
        message: "Trading halted: the trade director stopped processing directives. Notify stakeholders.",
      };
    } catch (err) {
      if ((err as Error).name === "TimeoutError") {
        return {
          outcome: "timeout_unknown",
          perTarget: [{ target: "trade-director", outcome: "timeout_unknown" }],
          message: "The trade director did not answer in time: trading may or may not be halted. Check it, and halt by hand if needed.",
          error: "timeout",
        };
      }
      const message = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      return {
        outcome: "failed",
        perTarget: [{ target: "trade-director", outcome: "failed", detail: message }],
        message: `Halt failed (${message}). Halt trading by hand now.`,
        error: message,
      };
    }
  },
};
