/**
 * The stakeholder status view's data: a reduced DTO built on the server from the health snapshot,
 * in plain language for people who are not engineers. Pure functions, no React, no database access;
 * which checks speak for which area comes from the check modules (each names its `area`).
 *
 * What it must never carry (the page is for viewers): SQL text, client addresses, DB user names,
 * check details or error messages. So it is built from the checks' *status* only, with wording
 * of its own; nothing of a check's summary, detail or error is copied.
 */
import { checks as registeredChecks } from "./checks/index.ts";
import type { CheckModule, CheckResult, CheckStatus } from "./checks/types.ts";
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

/** The areas, in page order, and how each area's state reads. */
export const AREAS: ReadonlyArray<{ id: AreaId; name: string; words: Wording }> = [
  {
    id: "signals",
    name: "Trading signals",
    words: {
      operational: "Signals are being generated",
      degraded: "signal generation is slow",
      outage: "no new trading signals",
      unknown: "signal generation cannot be checked",
    },
  },
  {
    id: "directives",
    name: "Order processing",
    words: {
      operational: "Orders are being processed",
      degraded: "order processing delayed",
      outage: "order processing stopped",
      unknown: "order processing cannot be checked",
    },
  },
  {
    id: "execution",
    name: "Order execution",
    words: {
      operational: "Orders are reaching the broker",
      degraded: "order execution delayed",
      outage: "order execution interrupted",
      unknown: "order execution cannot be checked",
    },
  },
  {
    id: "database",
    name: "Database",
    words: { operational: "Responding normally", degraded: "database under strain", outage: "database overloaded", unknown: "the database cannot be checked" },
  },
  {
    id: "market_data",
    name: "Market data",
    words: {
      operational: "Market data is flowing",
      degraded: "market data delayed",
      outage: "market data interrupted",
      unknown: "market data cannot be checked",
    },
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
  opts: {
    history?: (checkId: string) => HistoryPoint[];
    incident?: StatusIncident | null;
    checks?: readonly Pick<CheckModule, "id" | "area" | "statusWords">[];
  } = {},
): StatusDto {
  const byId = new Map(snapshot.checks.map((c) => [c.id, c]));
  const modules = opts.checks ?? registeredChecks;
  const wordsOf = new Map(modules.map((m) => [m.id, m.statusWords]));
  /** Per area, the words of its current state (from the checks that cause it, else the area's own). */
  const areaWords = new Map<AreaId, string>();
  const areas: AreaStatus[] = AREAS.map((a) => {
    // A check that is not configured here (e.g. no TRADE_DIRECTOR_URL) does not speak for its area.
    const checks = modules
      .filter((m) => m.area === a.id)
      .map((m) => byId.get(m.id))
      .filter((c): c is CheckResult => c !== undefined && c.detail?.configured !== false);
    if (checks.length === 0) return { id: a.id, name: a.name, level: "unknown", summary: "Not monitored on this console", since: null, monitored: false };
    const level = worst(checks.map((c) => LEVEL_OF[c.status]));
    if (level === "operational") return { id: a.id, name: a.name, level, summary: a.words.operational, since: null, monitored: true };
    const culprits = checks.filter((c) => LEVEL_OF[c.status] === level);
    const since = culprits.map((c) => problemSince(c, opts.history?.(c.id) ?? [])).sort()[0] ?? null;
    // The words fit the cause: each culprit's own (when it has some for this level), else the area's.
    const words = [
      ...new Set(
        culprits.map(
          (c) => (level === "unknown" ? (c.pending ? "starting up, waiting for the first readings" : undefined) : wordsOf.get(c.id)?.[level]) ?? a.words[level],
        ),
      ),
    ].join("; ");
    areaWords.set(a.id, words);
    return { id: a.id, name: a.name, level, summary: capitalize(words), since, monitored: true };
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
    const words = areaWords.get(lead.id) ?? AREAS.find((a) => a.id === lead.id)!.words[level as Exclude<StatusLevel, "operational">];
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
