import "server-only";
/** Narrow reads and writes of incidents, their timeline, check transitions and notification deliveries. */
import { withConsole, type Sql } from "../client.ts";
import type { CheckStatus, Level } from "../types.ts";

export type IncidentRow = {
  id: number;
  ref: string;
  scenario: number;
  title: string;
  status: "open" | "resolved";
  startedAt: string;
  detectedAt: string;
  level: Level;
  maxLevel: Level;
  checkIds: string[];
  okStreak: number;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  commander: string | null;
  resolvedAt: string | null;
  checklist: Record<string, boolean>;
  /** The runbook version in force when it opened (console.runbook_versions.hash); null before versions were recorded. */
  runbookHash?: string | null;
};

type Raw = {
  id: string;
  scenario: number;
  title: string;
  status: "open" | "resolved";
  started_at: Date;
  detected_at: Date;
  level: number;
  max_level: number;
  check_ids: string[];
  ok_streak: number;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  commander: string | null;
  resolved_at: Date | null;
  checklist: Record<string, boolean>;
  runbook_hash: string | null;
};

export const incidentRef = (id: number | string) => `INC-${id}`;

export function toIncident(r: Raw): IncidentRow {
  return {
    id: Number(r.id),
    ref: incidentRef(r.id),
    scenario: r.scenario,
    title: r.title,
    status: r.status,
    startedAt: r.started_at.toISOString(),
    detectedAt: r.detected_at.toISOString(),
    level: r.level as Level,
    maxLevel: r.max_level as Level,
    checkIds: r.check_ids,
    okStreak: r.ok_streak,
    acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: r.acknowledged_by,
    commander: r.commander,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    checklist: r.checklist ?? {},
    runbookHash: r.runbook_hash ?? null,
  };
}

export async function listOpenIncidents(sql?: Sql): Promise<IncidentRow[]> {
  const q = (s: Sql) => s<Raw[]>`select * from console.incidents where status = 'open' order by started_at`;
  const rows = sql ? await q(sql) : await withConsole(q, { timeoutMs: 3000 });
  return rows.map(toIncident);
}

/** What the public status feed shows of an incident event: no actor, no check ids, no internals. */
export type StatusFeedEvent = {
  eventId: number;
  incidentId: number;
  scenario: number;
  kind: "opened" | "level" | "resolved" | "note";
  at: string;
  level: number | null;
  text: string | null;
};

/**
 * The stakeholders' history, newest first: incidents opening, escalating and resolving, and the
 * notes the on-call marked public. Only those kinds; of a note only its text.
 */
export async function listStatusFeedEvents({ limit = 50 }: { limit?: number } = {}): Promise<StatusFeedEvent[]> {
  const rows = await withConsole(
    (sql) => sql<{ id: string; incident_id: string; scenario: number; kind: StatusFeedEvent["kind"]; at: Date; level: number | null; text: string | null }[]>`
      select e.id, e.incident_id, i.scenario, e.kind, e.at,
             case when e.kind = 'level' then (e.data->>'to')::int when e.kind = 'opened' then 1 end as level,
             case when e.kind = 'note' then e.data->>'text' end as text
      from console.incident_events e join console.incidents i on i.id = e.incident_id
      where e.kind in ('opened', 'level', 'resolved') or (e.kind = 'note' and e.public)
      order by e.at desc, e.id desc
      limit ${limit}`,
    { idempotent: true, timeoutMs: 3000 },
  );
  return rows.map((r) => ({
    eventId: Number(r.id),
    incidentId: Number(r.incident_id),
    scenario: r.scenario,
    kind: r.kind,
    at: r.at.toISOString(),
    level: r.level,
    text: r.text,
  }));
}

export async function listIncidents({ limit = 100 }: { limit?: number } = {}): Promise<IncidentRow[]> {
  const rows = await withConsole((sql) => sql<Raw[]>`select * from console.incidents order by started_at desc limit ${limit}`);
  return rows.map(toIncident);
}

export async function getIncident({ id }: { id: number }): Promise<IncidentRow | null> {
  const rows = await withConsole((sql) => sql<Raw[]>`select * from console.incidents where id = ${id}`);
  return rows[0] ? toIncident(rows[0]) : null;
}

export type IncidentEvent = { id: number; at: string; kind: string; actor: string | null; public: boolean; data: Record<string, unknown> | null };

export async function getIncidentEvents({ id }: { id: number }): Promise<IncidentEvent[]> {
  const rows = await withConsole(
    (sql) => sql<{ id: string; at: Date; kind: string; actor: string | null; public: boolean; data: Record<string, unknown> | null }[]>`
      select id, at, kind, actor, public, data from console.incident_events where incident_id = ${id} order by at, id`,
  );
  return rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), kind: r.kind, actor: r.actor, public: r.public, data: r.data }));
}

export async function addIncidentEvent(
  tx: Sql,
  e: { incidentId: number; kind: string; actor?: string | null; public?: boolean; data?: unknown; at?: string },
): Promise<void> {
  await tx`
    insert into console.incident_events (incident_id, at, kind, actor, public, data)
    values (${e.incidentId}, ${e.at ?? new Date().toISOString()}, ${e.kind}, ${e.actor ?? null}, ${e.public ?? false}, ${e.data === undefined ? null : tx.json(e.data as never)})`;
}

/** The last recorded status of every check (to resume after a restart or a leadership change). */
export async function latestCheckStatuses(): Promise<Map<string, CheckStatus>> {
  const rows = await withConsole(
    (sql) => sql<{ check_id: string; to_status: CheckStatus }[]>`
      select distinct on (check_id) check_id, to_status from console.check_transitions order by check_id, at desc, id desc`,
  );
  return new Map(rows.map((r) => [r.check_id, r.to_status]));
}

export type Delivery = { id: number; event: string; url: string; attempt: number; status: string; httpStatus: number | null; error: string | null; at: string };

export async function getDeliveries({ incidentId }: { incidentId: number }): Promise<Delivery[]> {
  const rows = await withConsole(
    (sql) => sql<{ id: string; event: string; url: string; attempt: number; status: string; http_status: number | null; error: string | null; at: Date }[]>`
      select * from console.notification_deliveries where incident_id = ${incidentId} order by at, id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    event: r.event,
    url: r.url,
    attempt: r.attempt,
    status: r.status,
    httpStatus: r.http_status,
    error: r.error,
    at: r.at.toISOString(),
  }));
}

export async function recordDelivery(d: {
  incidentId: number;
  event: string;
  url: string;
  attempt: number;
  status: string;
  httpStatus?: number | null;
  error?: string | null;
}): Promise<void> {
  await withConsole(
    (sql) => sql`
      insert into console.notification_deliveries (incident_id, event, url, attempt, status, http_status, error)
      values (${d.incidentId}, ${d.event}, ${d.url}, ${d.attempt}, ${d.status}, ${d.httpStatus ?? null}, ${d.error ?? null})`,
  );
}

/**
 * The actions the audit log records against an incident: those that carry its reference (the
 * action dialog prefills it while an incident is open for the check). Never matched by time: an
 * action taken during the incident for something else is not part of it, and the audit's incident
 * column and the incident page agree. The incident's own entries (incident.open, .acknowledge,
 * .note, ...) are left out: its timeline lists them from its events already.
 */
export type IncidentAction = {
  seq: number;
  at: string;
  action: string;
  phase: string;
  outcome: string;
  actor: string | null;
  reason: string | null;
  message: string | null;
};

export async function getIncidentActions({ incident }: { incident: IncidentRow }): Promise<IncidentAction[]> {
  const rows = await withConsole(
    (sql) => sql<
      { seq: string; at: Date; action: string; phase: string; outcome: string; actor_email: string | null; reason: string | null; message: string | null }[]
    >`
      select seq, at, action, phase, outcome, actor_email, reason, detail->>'message' as message
      from console.audit_log
      where incident_ref = ${incident.ref}
        and action not like 'incident.%'
        and phase in ('outcome', 'event') and outcome <> 'denied'
      order by seq
      limit 500`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at.toISOString(),
    action: r.action,
    phase: r.phase,
    outcome: r.outcome,
    actor: r.actor_email,
    reason: r.reason,
    message: r.message,
  }));
}
