"use server";
/**
 * Recovery actions as server actions: thin exports through the one wrapper
 * (lib/actions/mutation.ts: session, permission, the input's shape, every failure in one result)
 * over lib/recovery/actions/pipeline.ts, which runs the recovery guards themselves (kill switch,
 * the action's own input schema, preview token, confirmation, sudo mode for destructive actions,
 * idempotency, lock, cooldown, approval, audit) on the server, whatever the UI shows. Its state is
 * mapped to the one shape at this boundary (lib/actions/recovery.ts).
 */
import { z } from "zod";
import { defineMutation } from "@/lib/actions/mutation";
import { fromPreviewState, fromRunState } from "@/lib/actions/recovery";
import { actionByName } from "@/lib/recovery/actions";
import { cancelLongQueries } from "@/lib/recovery/actions/cancel-long-queries";
import { cancelStaleDirectives } from "@/lib/recovery/actions/cancel-stale-directives";
import { haltTrading } from "@/lib/recovery/actions/halt-trading";
import { killIdleTransactions } from "@/lib/recovery/actions/kill-idle-transactions";
import { resetCircuit } from "@/lib/recovery/actions/reset-circuit";
import { requirePermission } from "@/lib/recovery/access/authz";
import { approveAction, confirmAction, previewAction } from "@/lib/recovery/actions/pipeline";
import type { ActionDefinition, GuardContext } from "@/lib/recovery/actions/types";
import type { RequestMeta } from "@/lib/recovery/audit/writer";

/** The wrapper checks that a call carries one object; the actions' pipeline (lib/recovery/actions/pipeline.ts) parses its fields. */
const anObject = z.record(z.string(), z.unknown(), { error: "Expected the action's input as an object." });

/** The pipeline asks for the actor itself (its own order of guards; permissions checked afresh). */
const guardContext = (request: RequestMeta): GuardContext => ({
  resolveActor: (permission, action) => requirePermission(permission, { action }),
  request,
});

function previewOf<T, P>(def: ActionDefinition<T, P>) {
  return defineMutation(
    { name: def.name, access: "actions.execute", input: anObject.optional(), path: "/actions", auditAnonymous: true },
    async (params, { request }) => fromPreviewState(await previewAction(def, params ?? {}, guardContext(request))),
  );
}

function confirmOf<T, P>(def: ActionDefinition<T, P>) {
  return defineMutation({ name: def.name, access: "actions.execute", input: anObject, path: "/actions", auditAnonymous: true }, async (input, { request }) =>
    fromRunState(await confirmAction(def, input, guardContext(request))),
  );
}

export const previewResetCircuitAction = previewOf(resetCircuit);
export const resetCircuitAction = confirmOf(resetCircuit);
export const previewCancelStaleDirectivesAction = previewOf(cancelStaleDirectives);
export const cancelStaleDirectivesAction = confirmOf(cancelStaleDirectives);
export const previewKillIdleTransactionsAction = previewOf(killIdleTransactions);
export const killIdleTransactionsAction = confirmOf(killIdleTransactions);
export const previewCancelLongQueriesAction = previewOf(cancelLongQueries);
export const cancelLongQueriesAction = confirmOf(cancelLongQueries);
export const previewHaltTradingAction = previewOf(haltTrading);
export const haltTradingAction = confirmOf(haltTrading);

export const approveRecoveryAction = defineMutation(
  { name: "actions.approve", access: "actions.approve", input: anObject, path: "/actions", auditAnonymous: true },
  async (input, { request }) => fromRunState(await approveAction(actionByName, input, guardContext(request))),
);
