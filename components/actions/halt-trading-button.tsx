"use client";
import { useState } from "react";
import { haltTradingAction, previewHaltTradingAction } from "@/app/actions/recovery";
import type { ActionClient } from "./action-dialog";
import { ActionDialog } from "./action-dialog-lazy";

const halt: ActionClient = { title: "Halt trading", preview: previewHaltTradingAction, confirm: haltTradingAction };

/**
 * The runbook's L3: "Halt trading" (guarded; two people unless the incident is at L3, and typed
 * as the words HALT TRADING). At L3 the runbook asks for it and it is the banner's first control;
 * before that it is a small button behind the banner's "More actions" (components/incidents/incident-banner.tsx).
 */
export function HaltTradingButton({ incidentRef, prominent }: { incidentRef?: string; prominent: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        data-testid="halt-trading"
        data-prominent={prominent ? "true" : "false"}
        className={
          prominent
            ? "rounded-md bg-red-800 px-4 py-2 text-base font-bold text-white shadow hover:bg-red-900"
            : "rounded-md border border-red-800 px-2 py-0.5 text-xs font-medium text-red-800 hover:bg-red-50 dark:border-red-300 dark:text-red-200 dark:hover:bg-red-950"
        }
      >
        Halt trading{prominent ? "" : "…"}
      </button>
      <ActionDialog action={halt} open={open} onClose={() => setOpen(false)} incidentRef={incidentRef} />
    </>
  );
}
