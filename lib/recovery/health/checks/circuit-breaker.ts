import "server-only";
/**
 * circuit_breaker: runbook scenario 2, step 1 "Check circuit breaker status", read from the trade
 * director's admin API (GET {TRADE_DIRECTOR_URL}/admin/circuit, the contract in docs/http-api.md) with
 * its own deadline, CIRCUIT_TIMEOUT_MS. Critical when open, warn when half-open. A director that
 * hangs or fails is `unknown` with the error; the other checks do not wait for it.
 */
import { env } from "../../../env.ts";
import { getCircuit } from "../../actions/trade-director.ts";
import { formatAge, notConfigured } from "./format.ts";
import type { CheckModule, CheckStatus, NotConfiguredDetail } from "./types.ts";

export type CircuitState = "closed" | "open" | "half-open";

export function classifyCircuit(state: CircuitState): CheckStatus {
  if (state === "open") return "critical";
  return state === "half-open" ? "warn" : "ok";
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

export type CircuitBreakerDetail = {
  state: CircuitState;
  failures: number | null;
  openedAt: string | null;
  lastResetAt: string | null;
  processing: boolean | null;
  timeoutMs: number;
};

export const circuitBreaker: CheckModule<"circuit_breaker", CircuitBreakerDetail | NotConfiguredDetail> = {
  id: "circuit_breaker",
  title: "Trade director circuit",
  metricUnit: "",
  scenario: 2,
  area: "directives",
  actions: ["circuit.reset"],
  reads: ["http"],
  async run(signal) {
    const e = env();
    if (!e.TRADE_DIRECTOR_URL) return notConfigured("set TRADE_DIRECTOR_URL");
    const circuit = await getCircuit({ timeoutMs: e.CIRCUIT_TIMEOUT_MS, signal });
    const openedAt = str(circuit.openedAt);
    const failures = typeof circuit.failures === "number" ? circuit.failures : null;
    const processing = typeof circuit.processing === "boolean" ? circuit.processing : null;
    const openFor = openedAt ? (Date.now() - Date.parse(openedAt)) / 1000 : null;
    const parts: string[] = [];
    if (circuit.state === "closed") parts.push("Closed: directives flow");
    else
      parts.push(
        `${circuit.state === "open" ? "Open" : "Half-open"}${openFor !== null && openFor >= 0 ? ` for ${formatAge(openFor)}` : ""}${failures !== null ? ` after ${failures} failures` : ""}`,
      );
    if (processing === false) parts.push("processing halted");
    return {
      status: classifyCircuit(circuit.state),
      value: circuit.state,
      unit: "",
      summary: parts.join("; "),
      threshold: "critical when open, warn when half-open",
      detail: { state: circuit.state, failures, openedAt, lastResetAt: str(circuit.lastResetAt), processing, timeoutMs: e.CIRCUIT_TIMEOUT_MS },
    };
  },
};
