"use server";
/**
 * Recovery actions as server actions: thin exports over lib/recovery/guarded-action.ts. Each
 * is a POST endpoint anyone can call, so every guard (kill switch, session, permission, input,
 * preview token, confirmation, idempotency, lock, cooldown, approval, audit) runs in the wrapper,
 * on the server, whatever the UI shows.
 */
import { headers } from "next/headers";
import { requestMetaFrom } from "@/lib/auth/request-meta";
import { actionByName } from "@/lib/recovery/actions";
import { cancelStaleDirectives } from "@/lib/recovery/actions/cancel-stale-directives";
import { haltTrading } from "@/lib/recovery/actions/halt-trading";
import { killIdleTransactions } from "@/lib/recovery/actions/kill-idle-transactions";
import { resetCircuit } from "@/lib/recovery/actions/reset-circuit";
import { requirePermission } from "@/lib/recovery/authz";
import { approveAction, confirmAction, previewAction, type GuardContext } from "@/lib/recovery/guarded-action";

async function guardContext(): Promise<GuardContext> {
  const h = await headers();
  return {
    resolveActor: (permission, action) => requirePermission(permission, { action }),
    request: requestMetaFrom(h, "/actions"),
  };
}

export async function previewResetCircuitAction(params: unknown) {
  return previewAction(resetCircuit, params, await guardContext());
}

export async function resetCircuitAction(input: unknown) {
  return confirmAction(resetCircuit, input, await guardContext());
}

export async function previewCancelStaleDirectivesAction(params: unknown) {
  return previewAction(cancelStaleDirectives, params, await guardContext());
}

export async function cancelStaleDirectivesAction(input: unknown) {
  return confirmAction(cancelStaleDirectives, input, await guardContext());
}

export async function previewKillIdleTransactionsAction(params: unknown) {
  return previewAction(killIdleTransactions, params, await guardContext());
}

export async function killIdleTransactionsAction(input: unknown) {
  return confirmAction(killIdleTransactions, input, await guardContext());
}

export async function previewHaltTradingAction(params: unknown) {
  return previewAction(haltTrading, params, await guardContext());
}

export async function haltTradingAction(input: unknown) {
  return confirmAction(haltTrading, input, await guardContext());
}

export async function approveRecoveryAction(input: unknown) {
  return approveAction(actionByName, input, await guardContext());
}
