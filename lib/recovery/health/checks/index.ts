import "server-only";
import type { ActionName } from "../../actions/types.ts";
import { circuitBreaker } from "./circuit-breaker.ts";
import { dbConnections } from "./db-connections.ts";
import { directivesStalePending } from "./directives-stale-pending.ts";
import { eaHeartbeat } from "./ea-heartbeat.ts";
import { executionsFailed } from "./executions-failed.ts";
import { idleTransactions } from "./idle-transactions.ts";
import { signalsRecent } from "./signals-recent.ts";
import type { CheckModule, DetailOf } from "./types.ts";
import { workerRateLimit } from "./worker-rate-limit.ts";

/**
 * The registry: every check the snapshot evaluates, in display order (the runbook's scenarios 1 to
 * 5, with the "Failed executions" monitoring query beside scenario 2). Ids are part of the public
 * API. Everything else that names checks derives from this list: the `CheckId` type, the renderers'
 * registry (components/checks/registry.tsx), the status page's areas, the runbook steps' panels,
 * the actions' re-checks, the metrics, the plans test and the bench.
 */
export const checks = [
  signalsRecent,
  directivesStalePending,
  circuitBreaker,
  executionsFailed,
  dbConnections,
  idleTransactions,
  workerRateLimit,
  eaHeartbeat,
] as const satisfies readonly CheckModule[];

export type RegisteredCheck = (typeof checks)[number];
export type CheckId = RegisteredCheck["id"];
/** The detail a check's `run` yields, which its renderer takes. */
export type CheckDetail<K extends CheckId> = DetailOf<Extract<RegisteredCheck, { id: K }>>;

/** The check whose symptom `action` treats (its panel carries the button), from the checks' `actions`. */
export function checkForAction(action: ActionName, list: readonly CheckModule[] = checks): CheckId | null {
  return (list.find((c) => c.actions.includes(action))?.id as CheckId | undefined) ?? null;
}
