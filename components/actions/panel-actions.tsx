"use client";
import { useState } from "react";
import {
  cancelLongQueriesAction,
  cancelStaleDirectivesAction,
  killIdleTransactionsAction,
  previewCancelLongQueriesAction,
  previewCancelStaleDirectivesAction,
  previewKillIdleTransactionsAction,
  previewResetCircuitAction,
  resetCircuitAction,
} from "@/app/actions/recovery";
import type { CheckId } from "@/lib/recovery/health/checks";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { useIncidentRef } from "../incidents/use-incident-ref";
import type { ActionClient } from "./action-dialog";
import { ActionDialog } from "./action-dialog-lazy";

/**
 * Each action sits on the panel of the symptom it treats (the check module's `actions`), named as
 * the runbook names it; tests/unit/check-registry.test.ts holds this map to the modules.
 */
export const actionsByCheck: Partial<Record<CheckId, ActionClient>> = {
  circuit_breaker: { title: "Reset circuit", preview: previewResetCircuitAction, confirm: resetCircuitAction },
  directives_stale_pending: { title: "Cancel stale directives", preview: previewCancelStaleDirectivesAction, confirm: cancelStaleDirectivesAction },
  idle_transactions: { title: "Kill idle transactions", preview: previewKillIdleTransactionsAction, confirm: killIdleTransactionsAction },
  db_connections: { title: "Cancel long-running queries", preview: previewCancelLongQueriesAction, confirm: cancelLongQueriesAction },
};

/** The recovery action for a panel, for roles that may act (the server checks again). */
export function PanelActions({ check, canAct }: { check: CheckResult; canAct: boolean }) {
  const [open, setOpen] = useState(false);
  const incidentRef = useIncidentRef(check.id, check.scenario);
  const action = actionsByCheck[check.id as CheckId];
  if (!action || !canAct) return null;
  const urgent = check.status === "critical" || check.status === "warn";
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        className={`mt-3 rounded-md px-3 py-1.5 text-sm font-medium ${
          urgent ? "bg-red-700 text-white hover:bg-red-800" : "border border-zinc-300 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
        }`}
      >
        {action.title}
      </button>
      <ActionDialog action={action} open={open} onClose={() => setOpen(false)} incidentRef={incidentRef} />
    </>
  );
}

/** "Cancel" for one row of the stale-directives table. */
export function CancelDirectiveButton({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const incidentRef = useIncidentRef("directives_stale_pending");
  const action = actionsByCheck.directives_stale_pending!;
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        className="rounded border border-zinc-300 px-2 py-0.5 text-xs dark:border-zinc-700"
        aria-label={`Cancel directive ${id}`}
      >
        Cancel
      </button>
      <ActionDialog
        action={{ ...action, title: `Cancel directive ${id}` }}
        params={{ ids: [id] }}
        open={open}
        onClose={() => setOpen(false)}
        incidentRef={incidentRef}
      />
    </>
  );
}
