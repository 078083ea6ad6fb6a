import "server-only";
import { cancelLongQueries } from "./cancel-long-queries.ts";
import type { ActionDefinition } from "./types.ts";
import { cancelStaleDirectives } from "./cancel-stale-directives.ts";
import { haltTrading } from "./halt-trading.ts";
import { killIdleTransactions } from "./kill-idle-transactions.ts";
import { resetCircuit } from "./reset-circuit.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const recoveryActions: ActionDefinition<any, any>[] = [resetCircuit, cancelStaleDirectives, killIdleTransactions, cancelLongQueries, haltTrading];

export function actionByName(name: string) {
  return recoveryActions.find((a) => a.name === name);
}
