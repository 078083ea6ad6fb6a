"use client";
import { createContext, useContext } from "react";
import type { Contact } from "@/lib/recovery/incidents/contacts";
import type { RenderedStep, RunbookLink } from "@/lib/recovery/runbook/model";

/**
 * The runbook as the server rendered it (commands filled in from configuration), the contacts per
 * scenario, the scenario each check is bound to in the runbook file, and the version shown.
 */
export type RunbookData = {
  steps: Record<number, RenderedStep[]>;
  titles: Record<number, string>;
  contacts: Record<number, Contact[]>;
  byCheck: Record<string, number>;
  /** Configured links per scenario (logs, the Cloudflare dashboard, broker status). */
  links: Record<number, RunbookLink[]>;
  version: string;
};

const RunbookContext = createContext<RunbookData | null>(null);

export function RunbookProvider({ value, children }: { value: RunbookData; children: React.ReactNode }) {
  return <RunbookContext.Provider value={value}>{children}</RunbookContext.Provider>;
}

export function useRunbook(): RunbookData | null {
  return useContext(RunbookContext);
}
