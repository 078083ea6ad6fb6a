import "server-only";
/** Incident data shaped for the UI: escalation computed on the server from the configured policy. */
import { env } from "../../env.ts";
import { getIncidentActions, listOpenIncidents, type IncidentRow } from "../../db/queries/incidents.ts";
import { escalation, policyFrom } from "../escalation.ts";
import { loadContacts, type Contact } from "../contacts.ts";
import { scenarioByNumber } from "../runbook.ts";

export type IncidentView = IncidentRow & {
  scenarioTitle: string;
  elapsedMs: number;
  asks: string;
  currentLevel: 1 | 2 | 3;
  nextLevelInMs: number | null;
  /** The on-call contact, shown from L2 ("engage the on-call engineer"). */
  oncallContact: Contact | null;
};

export function viewIncident(i: IncidentRow, now: number, opts: { withContacts: boolean }): IncidentView {
  const end = i.resolvedAt ? Date.parse(i.resolvedAt) : now;
  const esc = escalation(i.startedAt, end, policyFrom(env()));
  const level = i.status === "open" ? (Math.max(esc.level, i.level) as 1 | 2 | 3) : i.maxLevel;
  return {
    ...i,
    scenarioTitle: scenarioByNumber(i.scenario)?.title ?? `Scenario ${i.scenario}`,
    elapsedMs: esc.elapsedMs,
    asks: esc.asks,
    currentLevel: level,
    nextLevelInMs: i.status === "open" ? esc.nextLevelInMs : null,
    oncallContact: opts.withContacts && level >= 2 ? loadContacts().oncall : null,
  };
}

export type CurrentIncidents = { now: string; haltConfigured: boolean; incidents: Array<IncidentView & { doneActions: string[] }> };

/** Open incidents for the banner and the panels: escalation, contacts, and the runbook actions done (ticks). */
export async function currentIncidents(opts: { withContacts: boolean; now?: number }): Promise<CurrentIncidents> {
  const now = opts.now ?? Date.now();
  const open = await listOpenIncidents();
  return {
    now: new Date(now).toISOString(),
    haltConfigured: !!env().TRADE_DIRECTOR_HALT_URL,
    incidents: await Promise.all(
      open.map(async (i) => ({
        ...viewIncident(i, now, { withContacts: opts.withContacts }),
        doneActions: [
          ...new Set(
            (await getIncidentActions({ incident: i }))
              .filter((a) => a.phase === "outcome" && (a.outcome === "succeeded" || a.outcome === "partial"))
              .map((a) => a.action),
          ),
        ],
      })),
    ),
  };
}
