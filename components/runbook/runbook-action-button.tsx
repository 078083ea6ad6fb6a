"use client";
import { useState } from "react";
import { ActionDialog } from "../actions/action-dialog-lazy";
import type { CheckId } from "@/lib/recovery/health/checks";
import { actionsByCheck } from "../actions/panel-actions";

/** A runbook step done through the console: opens the same guarded action as the panel's button. */
export function RunbookActionButton({ checkId, incidentRef }: { checkId: CheckId; incidentRef?: string }) {
  const [open, setOpen] = useState(false);
  const action = actionsByCheck[checkId];
  if (!action) return null;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} className="rounded-md bg-red-700 px-2 py-0.5 text-xs font-medium text-white hover:bg-red-800">
        {action.title}
      </button>
      <ActionDialog action={action} open={open} onClose={() => setOpen(false)} incidentRef={incidentRef} />
    </>
  );
}
