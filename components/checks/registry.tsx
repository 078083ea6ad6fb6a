"use client";
/**
 * Every check's renderer, by check id. The type requires one for each check of the registry
 * (lib/recovery/health/checks/index.ts), typed by that check's detail: a check without a renderer, or a
 * renderer that reads a field its check does not yield, does not compile.
 *
 * The panels read this through a context, so a test can render the dashboard with a check of its
 * own (tests/db/ninth-check.test.ts); the app never provides another.
 */
import { createContext, useContext } from "react";
import type { CheckDetail, CheckId } from "@/lib/recovery/health/checks";
import type { NotConfiguredDetail } from "@/lib/recovery/health/checks/types";
import { circuitBreakerRenderer } from "./circuit-breaker";
import { dbConnectionsRenderer } from "./db-connections";
import { directivesStalePendingRenderer } from "./directives-stale-pending";
import { eaHeartbeatRenderer } from "./ea-heartbeat";
import { executionsFailedRenderer } from "./executions-failed";
import { idleTransactionsRenderer } from "./idle-transactions";
import { signalsRecentRenderer } from "./signals-recent";
import type { CheckRenderer } from "./types";
import { workerRateLimitRenderer } from "./worker-rate-limit";

/** A configured reading's detail is what a renderer draws (the panel handles "not configured"). */
export type CheckRenderers = { [K in CheckId]: CheckRenderer<Exclude<CheckDetail<K>, NotConfiguredDetail>> };

export const checkRenderers: CheckRenderers = {
  signals_recent: signalsRecentRenderer,
  directives_stale_pending: directivesStalePendingRenderer,
  circuit_breaker: circuitBreakerRenderer,
  executions_failed: executionsFailedRenderer,
  db_connections: dbConnectionsRenderer,
  idle_transactions: idleTransactionsRenderer,
  worker_rate_limit: workerRateLimitRenderer,
  ea_heartbeat: eaHeartbeatRenderer,
};

/** Renderers by id, as the panels look them up (an id the client does not know gets the generic facts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RendererLookup = Readonly<Record<string, CheckRenderer<any> | undefined>>;

export const CheckRenderersContext = createContext<RendererLookup>(checkRenderers);

export function useCheckRenderer(id: string) {
  return useContext(CheckRenderersContext)[id];
}
