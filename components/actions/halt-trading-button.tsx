"use client";
import { useState } from "react";
import { haltTradingAction, previewHaltTradingAction } from "@/app/actions/recovery";
import type { ActionClient } from "./action-dialog";
import { ActionDialog } from "./action-dialog-lazy";

const halt: ActionClient = { title: "Halt trading", preview: previewHaltTradingAction, confirm: haltTradingAction };

/** The runbook's L3: "Halt trading" (guarded; two people unless the incident is at L3). */
export function HaltTradingButton({ incidentRef }: { incidentRef?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} className="rounded-md bg-red-800 px-3 py-1 text-sm font-bold text-white hover:bg-red-900">
        Halt trading
      </button>
      <ActionDialog action={halt} open={open} onClose={() => setOpen(false)} incidentRef={incidentRef} />
    </>
  );
}
