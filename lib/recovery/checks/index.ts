import "server-only";
import { circuitBreaker } from "./circuit-breaker.ts";
import { dbConnections } from "./db-connections.ts";
import { directivesStalePending } from "./directives-stale-pending.ts";
import { eaHeartbeat } from "./ea-heartbeat.ts";
import { executionsFailed } from "./executions-failed.ts";
import { idleTransactions } from "./idle-transactions.ts";
import { signalsRecent } from "./signals-recent.ts";
import type { CheckDefinition } from "./types.ts";
import { workerRateLimit } from "./worker-rate-limit.ts";

/**
 * Every check the snapshot evaluates, in display order: the runbook's scenarios 1 to 5, with the
 * "Failed executions" monitoring query beside scenario 2. Ids are part of the public API.
 */
export const checks: CheckDefinition[] = [
  signalsRecent,
  directivesStalePending,
  circuitBreaker,
  executionsFailed,
  dbConnections,
  idleTransactions,
  workerRateLimit,
  eaHeartbeat,
];

export const checkIds = checks.map((c) => c.id);
