/**
 * The drafted incident report (runbook "Post-Incident", step 1: write incident report), as
 * Markdown: summary, impact window, detection, acknowledgement and recovery times, the timeline,
 * the actions taken with their outcomes, the levels reached, and the post-incident checklist.
 * Pure: the page, the download route and tests share it.
 */
import type { IncidentAction, IncidentEvent, IncidentRow, Delivery } from "../../db/queries/incidents.ts";
import { formatDuration, LEVEL_ASKS, type Level } from "./escalation.ts";
import type { RunbookVersion } from "../../db/queries/runbook.ts";
import { postIncidentChecklist, scenarioByNumber, type Scenario } from "../runbook/model.ts";

export type ReportInput = {
  incident: IncidentRow;
  events: IncidentEvent[];
  actions: IncidentAction[];
  deliveries: Delivery[];
  now: number;
  /** The runbook's scenarios as now in force (titles and symptoms). */
  scenarios?: readonly Scenario[];
  /** The runbook version in force when the incident opened (incidents.runbook_hash). */
  runbookVersion?: RunbookVersion | null;
  /** A newer runbook first seen after the incident started: "Update runbook with lessons learned" is done. */
  runbookUpdated?: RunbookVersion | null;
};

/** "3f2a9c0b1d4e (Last Updated 2026-01-03, Owner SRE Team)" */
export function describeRunbookVersion(v: { hash: string; lastUpdated: string | null; owner: string | null }): string {
  const meta = [v.lastUpdated && `Last Updated ${v.lastUpdated}`, v.owner && `Owner ${v.owner}`].filter(Boolean).join(", ");
  return `${v.hash.slice(0, 12)}${meta ? ` (${meta})` : ""}`;
}

/** The post-incident checklist as stored, with "runbook" done once a newer runbook version appeared. */
export function effectiveChecklist(i: IncidentRow, runbookUpdated: RunbookVersion | null | undefined): Record<string, boolean> {
  return runbookUpdated ? { ...i.checklist, runbook: true } : i.checklist;
}

export type IncidentTimes = {
  detectionMs: number;
  acknowledgeMs: number | null;
  recoverMs: number | null;
  durationMs: number;
};

export function incidentTimes(i: IncidentRow, now: number): IncidentTimes {
  const start = Date.parse(i.startedAt);
  return {
    detectionMs: Math.max(0, Date.parse(i.detectedAt) - start),
    acknowledgeMs: i.acknowledgedAt ? Math.max(0, Date.parse(i.acknowledgedAt) - start) : null,
    recoverMs: i.resolvedAt ? Math.max(0, Date.parse(i.resolvedAt) - start) : null,
    durationMs: Math.max(0, (i.resolvedAt ? Date.parse(i.resolvedAt) : now) - start),
  };
}

/** What a level asks, without its own "L2: " label (the report names the level once). */
const asks = (l: Level) => (LEVEL_ASKS[l] ?? "").replace(/^L\d: /, "");

const iso = (s: string) => s.replace("T", " ").replace(/\.\d+Z$/, " UTC");
const cell = (s: unknown) =>
  String(s ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");

export function describeEvent(e: IncidentEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.kind) {
    case "opened":
      return "Incident opened";
    case "transition":
      return `Check ${d.checkId}: ${d.from ?? "—"} → ${d.to} (${d.summary ?? d.value ?? ""})`;
    case "joined":
      return `Check ${d.checkId} joined the incident (${d.to})`;
    case "level":
      return `Escalated to level ${d.to}: ${asks(d.to as Level)}`;
    case "acknowledged":
      return `Acknowledged by ${e.actor}`;
    case "note":
      return `Note by ${e.actor}${e.public ? " (public)" : ""}: ${d.text}`;
    case "commander":
      return `Commander: ${d.commander} (set by ${e.actor})`;
    case "notification":
      return `Notification ${d.event} to ${d.url}: ${d.status}${d.error ? ` (${d.error})` : ""}`;
    case "checklist":
      return `Checklist "${d.item}" ${d.done ? "done" : "reopened"} by ${e.actor}`;
    case "resolved":
      return "Resolved (all checks ok)";
    case "automation":
      return `Automation: ${d.message ?? d.state}`;
    default:
      return e.kind;
  }
}

export function draftReport({ incident: i, events, actions, deliveries, now, scenarios = [], runbookVersion, runbookUpdated }: ReportInput): string {
  const t = incidentTimes(i, now);
  const scenario = scenarioByNumber(scenarios, i.scenario);
  const checklist = effectiveChecklist(i, runbookUpdated);
  const version = runbookVersion ? describeRunbookVersion(runbookVersion) : i.runbookHash ? i.runbookHash.slice(0, 12) : "not recorded";
  const levels = [...new Set([1, ...events.filter((e) => e.kind === "level").map((e) => (e.data as { to: number }).to)])].sort();
  const failedDeliveries = deliveries.filter((d) => d.status === "gave_up");
  const lines = [
    `# Incident report: ${i.ref}, ${i.title}`,
    "",
    `*Drafted by Recovery Console on ${iso(new Date(now).toISOString())}. Edit before publishing.*`,
    "",
    "## Summary",
    "",
    `- **Scenario:** runbook scenario ${i.scenario}${scenario ? `, ${scenario.title}` : ""}`,
    `- **Symptom:** ${scenario?.symptoms ?? i.title}`,
    `- **Runbook version:** ${version}`,
    `- **Status:** ${i.status}${i.commander ? `, commander ${i.commander}` : ""}`,
    `- **Impact window:** ${iso(i.startedAt)} → ${i.resolvedAt ? iso(i.resolvedAt) : "ongoing"} (${formatDuration(t.durationMs)})`,
    `- **Detection time:** ${formatDuration(t.detectionMs)} after the first critical observation`,
    `- **Time to acknowledge:** ${t.acknowledgeMs === null ? "not acknowledged" : `${formatDuration(t.acknowledgeMs)}${i.acknowledgedBy ? ` (${i.acknowledgedBy})` : ""}`}`,
    `- **Time to recover:** ${t.recoverMs === null ? "not recovered yet" : formatDuration(t.recoverMs)}`,
    `- **Highest level reached:** L${i.maxLevel} (${asks(i.maxLevel)})`,
    `- **Checks involved:** ${i.checkIds.join(", ")}`,
    "",
    "## Levels reached",
    "",
    ...levels.map((l) => `- L${l}: ${asks(l as Level)}`),
    "",
    "## Actions taken",
    "",
    ...(actions.length
      ? [
          "| time (UTC) | action | outcome | by | result | reason |",
          "| --- | --- | --- | --- | --- | --- |",
          ...actions.map((a) => `| ${iso(a.at)} | ${cell(a.action)} | ${cell(a.outcome)} | ${cell(a.actor)} | ${cell(a.message)} | ${cell(a.reason)} |`),
        ]
      : ["No recovery action was taken from the console."]),
    "",
    "## Timeline",
    "",
    "| time (UTC) | event |",
    "| --- | --- |",
    ...events.map((e) => `| ${iso(e.at)} | ${cell(describeEvent(e))} |`),
    "",
    ...(failedDeliveries.length
      ? ["## Notification failures", "", ...failedDeliveries.map((d) => `- ${d.event} to ${d.url}: ${d.error ?? d.httpStatus}`), ""]
      : []),
    "## Post-incident checklist",
    "",
    ...postIncidentChecklist.map(
      (c) =>
        `- [${checklist[c.key] ? "x" : " "}] ${c.text}${c.key === "runbook" && runbookUpdated ? ` (runbook ${describeRunbookVersion(runbookUpdated)}, first seen ${iso(runbookUpdated.firstSeenAt)})` : ""}`,
    ),
    "",
  ];
  return lines.join("\n");
}
