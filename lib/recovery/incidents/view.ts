import "server-only";
/** Incident data shaped for the UI: escalation computed on the server from the configured policy. */
import { env } from "../../env.ts";
import { withConsole } from "../../db/client.ts";
import { getIncidentActions, listOpenIncidents, type IncidentRow } from "../../db/queries/incidents.ts";
import type { StatusIncident } from "../health/status.ts";
import { escalation } from "./escalation.ts";
import { loadContacts, type Contact } from "./contacts.ts";
import { scenarioByNumber } from "../runbook/model.ts";
import { currentRunbook, escalationPolicy } from "../runbook/source.ts";

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
  const esc = escalation(i.startedAt, end, escalationPolicy());
  const level = i.status === "open" ? (Math.max(esc.level, i.level) as 1 | 2 | 3) : i.maxLevel;
  return {
    ...i,
    scenarioTitle: scenarioByNumber(currentRunbook().runbook.scenarios, i.scenario)?.title ?? `Scenario ${i.scenario}`,
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

/** Plain words for stakeholders, per runbook scenario. */
export const PLAIN: Record<number, string> = {
  1: "new trading signals have stopped",
  2: "orders are not being processed",
  3: "the trading database is overloaded",
  4: "market data is rate-limited",
  5: "order execution is disconnected",
};

/**
 * The most severe open incident, reduced for the stakeholder status page: level, plain title,
 * start, and the notes marked public. Null when none is open (or the store cannot say).
 */
export async function statusIncident(now = Date.now()): Promise<StatusIncident | null> {
  const open = await listOpenIncidents();
  if (!open.length) return null;
  const views = open.map((i) => viewIncident(i, now, { withContacts: false }));
  const top = views.sort((a, b) => b.currentLevel - a.currentLevel || a.startedAt.localeCompare(b.startedAt))[0]!;
  const notes = await withConsole(
    (sql) => sql<{ at: Date; text: string }[]>`
      select at, data->>'text' as text from console.incident_events
      where incident_id = ${top.id} and kind = 'note' and public order by at desc limit 5`,
    { timeoutMs: 2000 },
  );
  const halted = top.currentLevel === 3 ? " (runbook level 3: trading may be halted)" : "";
  return {
    level: top.currentLevel,
    title: `${PLAIN[top.scenario] ?? top.scenarioTitle}${halted}`,
    startedAt: top.startedAt,
    publicNotes: notes.map((n) => ({ at: n.at.toISOString(), text: n.text })),
  };
}
