"use client";
import { useQuery } from "@tanstack/react-query";
import type { CurrentIncidents } from "@/lib/recovery/incidents/view";
import { keys } from "../data/keys";

/**
 * The reference of the open incident a check belongs to (its check ids), or of the runbook
 * scenario's open incident, for the action dialog to prefill: the action is then recorded against
 * it, so the audit's incident column and the incident page agree. Reads the banner's query (the
 * same key, no request of its own); undefined when no incident is open for it.
 */
export function useIncidentRef(checkId: string, scenario?: number | null): string | undefined {
  const { data } = useQuery<CurrentIncidents>({ queryKey: keys.incidents(), enabled: false });
  const open = data?.incidents.filter((i) => i.status === "open") ?? [];
  return (open.find((i) => i.checkIds.includes(checkId)) ?? (scenario ? open.find((i) => i.scenario === scenario) : undefined))?.ref;
}
