/**
 * The stakeholder status view's data: a reduced DTO built on the server from the health snapshot,
 * in plain language for people who are not engineers. Pure functions, no React, no database.
 *
 * What it must never carry (the page is for viewers): SQL text, client addresses, DB user names,
 * check details or error messages. So it is built from the checks' *status* only, with wording
 * of its own; nothing of a check's summary, detail or error is copied.
 */
import type { CheckResult, CheckStatus } from "./checks/types.ts";
import type { HistoryPoint, Snapshot } from "./snapshot.ts";

export type AreaId = "signals" | "directives" | "execution" | "database" | "market_data";
export type StatusLevel = "operational" | "degraded" | "outage" | "unknown";

/** The current incident (from the incidents feature; null until it lands, or when there is none). */
export type StatusIncident = {
  /** Escalation level 1-3 (runbook "Escalation Procedure"). */
  level: number;
  /** Plain words, e.g. "trading halted". */
  title: string;
  startedAt: string;
  /** Notes the on-call marked public, newest first (no names of DB sessions, no SQL). */
  publicNotes?: { at: string; text: string }[];
};

export type AreaStatus = {
  id: AreaId;
  name: string;
  level: StatusLevel;
  /** One plain sentence, e.g. "Order execution delayed". */
  summary: string;
  /** When the current problem began (ISO), or null when operational. */
  since: string | null;
  /** False when no check covers this area on this console. */
  monitored: boolean;
};

export type StatusDto = {
  generatedAt: string;
  refreshSeconds: number;
  overall: { level: StatusLevel; headline: string; since: string | null; area: AreaId | null };
  areas: AreaStatus[];
  incident: StatusIncident | null;
};

type Wording = Record<Exclude<StatusLevel, "operational">, string> & { operational: string };

/** Which checks speak for which area, and how each area's state reads. */
export const AREAS: ReadonlyArray<{ id: AreaId; name: string; checks: readonly string[]; words: Wording }> = [
  {
    id: "signals",
    name: "Trading signals",
    checks: ["signals_recent"],
    words: { operational: "Signals are being generated", degraded: "signal generation is slow", outage: "no new trading signals", unknown: "signal generation cannot be checked" },
  },
  {
    id: "directives",
    name: "Order processing",
    checks: ["directives_stale_pending", "circuit_breaker"],
    words: { operational: "Orders are being processed", degraded: "order processing delayed", outage: "order processing stopped", unknown: "order processing cannot be checked" },
  },
  {
    id: "execution",
    name: "Order execution",
    checks: ["executions_failed", "ea_heartbeat"],
    words: { operational: "Orders are reaching the broker", degraded: "order execution delayed", outage: "order execution interrupted", unknown: "order execution cannot be checked" },
  },
  {
    id: "database",
    name: "Database",
    checks: ["db_connections", "idle_transactions"],
    words: { operational: "Responding normally", degraded: "database under strain", outage: "database overloaded", unknown: "the database cannot be checked" },
  },
  {
    id: "market_data",
    name: "Market data",
    checks: ["worker_rate_limit"],
    words: { operational: "Market data is flowing", degraded: "market data delayed", outage: "market data interrupted", unknown: "market data cannot be checked" },
  },
];

const LEVEL_OF: Record<CheckStatus, StatusLevel> = { ok: "operational", warn: "degraded", critical: "outage", unknown: "unknown" };
/** Worst first. */
const SEVERITY: readonly StatusLevel[] = ["outage", "degraded", "unknown", "operational"];
const LABEL: Record<StatusLevel, string> = { outage: "Outage", degraded: "Degraded", unknown: "Status unknown", operational: "Operating normally" };

function worst(levels: StatusLevel[]): StatusLevel {
  return SEVERITY.find((l) => levels.includes(l)) ?? "operational";
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * When did this check's current status begin? The snapshot says (`since`, from the monitor's
 * status runs); failing that, the monitor's history; failing that, the reading itself.
 */
function problemSince(check: CheckResult, history: HistoryPoint[]): string {
  if (check.since?.at) return check.since.at;
  let since = check.observedAt;
  for (let i = history.length - 1; i >= 0; i--) {
    const p = history[i]!;
    if (p.status === "ok") break;
    since = p.t;
  }
  return Date.parse(since) < Date.parse(check.observedAt) ? since : check.observedAt;
}

export function buildStatus(
  snapshot: Snapshot,
  opts: { history?: (checkId: string) => HistoryPoint[]; incident?: StatusIncident | null } = {},
): StatusDto {
  const byId = new Map(snapshot.checks.map((c) => [c.id, c]));
  const areas: AreaStatus[] = AREAS.map((a) => {
    // A check that is not configured here (e.g. no TRADE_DIRECTOR_URL) does not speak for its area.
    const checks = a.checks.map((id) => byId.get(id)).filter((c): c is CheckResult => c !== undefined && c.detail?.configured !== false);
    if (checks.length === 0) return { id: a.id, name: a.name, level: "unknown", summary: "Not monitored on this console", since: null, monitored: false };
    const level = worst(checks.map((c) => LEVEL_OF[c.status]));
    if (level === "operational") return { id: a.id, name: a.name, level, summary: a.words.operational, since: null, monitored: true };
    const culprits = checks.filter((c) => LEVEL_OF[c.status] === level);
    const since = culprits.map((c) => problemSince(c, opts.history?.(c.id) ?? [])).sort()[0] ?? null;
    return { id: a.id, name: a.name, level, summary: capitalize(a.words[level]), since, monitored: true };
  });

  const monitored = areas.filter((a) => a.monitored);
  const level = monitored.length ? worst(monitored.map((a) => a.level)) : "unknown";
  let overall: StatusDto["overall"];
  if (level === "operational") {
    overall = { level, headline: "Trading systems: operating normally", since: null, area: null };
  } else if (monitored.length === 0) {
    overall = { level, headline: "Status unknown: no trading system is monitored yet", since: null, area: null };
  } else {
    // The worst area leads (the earliest among equals); the others are counted.
    const affected = monitored.filter((a) => a.level === level).sort((x, y) => (x.since ?? "").localeCompare(y.since ?? ""));
    const lead = affected[0]!;
    const others = monitored.filter((a) => a.level !== "operational").length - 1;
    const words = AREAS.find((a) => a.id === lead.id)!.words[level as Exclude<StatusLevel, "operational">];
    overall = {
      level,
      headline: `${LABEL[level]}: ${words}${others > 0 ? ` (and ${others} other area${others > 1 ? "s" : ""} affected)` : ""}`,
      since: lead.since,
      area: lead.id,
    };
  }
  const incident = opts.incident ?? null;
  // Below level 3 the areas already say what is wrong in plain words, and the incident line says
  // its level and age; at level 3 the runbook halts trading, which leads the page.
  if (incident && incident.level >= 3) {
    overall = { ...overall, level: "outage", headline: `Incident level ${incident.level}: ${incident.title}`, since: incident.startedAt };
  }
  return { generatedAt: snapshot.generatedAt, refreshSeconds: snapshot.refreshSeconds, overall, areas, incident };
}

/**
 * "since 14:02 (18 min)": a start time in the reader's time zone and how long ago it was.
 * `timeZone` is for tests; browsers use their own.
 */
export function describeSince(sinceIso: string, nowMs: number, opts: { timeZone?: string; locale?: string } = {}): string {
  const since = Date.parse(sinceIso);
  const time = new Intl.DateTimeFormat(opts.locale ?? "en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: opts.timeZone }).format(since);
  return `since ${time} (${describeDuration(Math.max(0, nowMs - since))})`;
}

/** "less than a minute", "18 min", "2 h 5 min". */
export function describeDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}
