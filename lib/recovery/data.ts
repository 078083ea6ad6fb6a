import "server-only";
/**
 * The data access layer: every read behind a page or a route handler. Each function checks the
 * caller's permission itself, through requirePermission (the one helper and the one permission
 * table, lib/recovery/access/authz.ts), before it reads anything, so a page or handler that forgot its
 * own check still shows nothing. Pages pass no caller (the session comes from the request's
 * cookies); route handlers pass their Request, which also admits machine tokens where the
 * permission allows them.
 *
 * The queries underneath (lib/db/queries, the snapshot, the incident views, contacts, anchors)
 * are for this layer, background jobs and scripts: eslint.config.mjs forbids importing them from
 * pages, layouts and route handlers.
 */
import { cache } from "react";
import type { AuditFilters, AuditPage } from "./audit/filters.ts";
import { anchorFilePath, anchoringStatus, readLatestAnchorCached } from "./audit/anchors.ts";
import { exportAudit, type ExportFormat } from "./audit/export.ts";
import { requirePermission, statusIsPublic, stillAuthorized, type Actor } from "./access/authz.ts";
import { LiveHub } from "./live/hub.ts";
import { onDrain } from "../shutdown.ts";
import { loadContacts } from "./incidents/contacts.ts";
import { currentIncidents, PLAIN, statusIncident, viewIncident } from "./incidents/view.ts";
import { leadsIncidentEvaluation } from "./incidents/evaluator.ts";
import { env } from "../env.ts";
import { statusFeed } from "./health/status-feed.ts";
import { can, type Permission } from "./access/permissions.ts";
import { redactChecks } from "./access/redact.ts";
import { healthMonitor, monitoredChecks } from "./health/snapshot.ts";
import { buildStatus } from "./health/status.ts";
import { listUsers } from "./access/users.ts";
import type { RequestMeta } from "./audit/writer.ts";
import { listPendingApprovals } from "../db/queries/actions.ts";
import { getAuditEntry, getGenesis, getHead, getLatestVerification, listAuditEntries, listAuditFacets } from "../db/queries/audit.ts";
import { getDeliveries, getIncident, getIncidentActions, getIncidentEvents, listIncidents, listStatusFeedEvents } from "../db/queries/incidents.ts";
import { getRunbookVersions, listRunbookVersions, runbookUpdatedSince } from "../db/queries/runbook.ts";
import { runbookState } from "./runbook/source.ts";
import { orNullAfter } from "../time.ts";

/** Who is asking: a route handler passes its Request; a page passes nothing. */
export type Caller = { request?: Request };

/** For pages: one check per permission per request (React's cache is scoped to the render). */
const pageActor = cache((permission: Permission) => requirePermission(permission));

function authorized(permission: Permission, caller: Caller): Promise<Actor> {
  return caller.request ? requirePermission(permission, { request: caller.request }) : pageActor(permission);
}

/** How long a page or the status API waits for the console store's incident before showing none. */
const INCIDENT_WAIT_MS = 1500;

// ── Health ────────────────────────────────────────────────────────────────────────────────

/**
 * The shared snapshot, as this caller may see it: without `health.details`, other sessions' SQL
 * text, database user names and client addresses are removed (lib/recovery/access/redact.ts). The shared
 * snapshot itself keeps them; the cut is made here, per caller.
 */
export async function readHealth(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  return redactChecks(await healthMonitor().get(), can(actor.role, "health.details"));
}

/** The body of /api/health as one caller may see it: the snapshot, the runbook version in force and the audit anchorer's state. */
async function healthBody(details: boolean) {
  const snapshot = redactChecks(await healthMonitor().get(), details);
  const { current, error } = runbookState();
  const runbook = { hash: current.hash, lastUpdated: current.lastUpdated, owner: current.owner, valid: !error };
  return { ...snapshot, runbook, auditAnchoring: anchoringStatus() };
}

/**
 * /api/health's body: the shared snapshot (redacted per caller, as readHealth), the runbook version
 * in force (`valid` is false while the file on disk does not load and the last good version
 * serves) and `auditAnchoring` (lib/recovery/audit/anchors.ts).
 */
export async function readHealthBody(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  return healthBody(can(actor.role, "health.details"));
}

/**
 * The live stream (GET /api/live, lib/recovery/live/hub.ts): what readHealthBody and
 * readOpenIncidents answer, pushed at each refresh to this caller's kind of viewer. The caller is
 * checked now and again before every push.
 */
export async function openLiveStream(caller: Caller = {}): Promise<ReadableStream<Uint8Array>> {
  const actor = await authorized("health.read", caller);
  return liveHub().open({
    variant: { details: can(actor.role, "health.details"), contacts: can(actor.role, "incidents.read") },
    stillAllowed: () => stillAuthorized(actor, "health.read"),
    signal: caller.request?.signal,
  });
}

function liveHub(): LiveHub {
  const g = globalThis as unknown as { __rcLiveHub?: LiveHub };
  if (!g.__rcLiveHub) {
    const hub = new LiveHub(
      {
        refreshSeconds: () => healthMonitor().refreshSeconds,
        health: healthBody,
        incidents: (contacts) => sharedCurrentIncidents(contacts),
      },
      { maxSeconds: env().LIVE_STREAM_SECONDS, log: (m) => console.warn(m) },
    );
    // At SIGTERM the streams end first, so they do not hold the shutdown for its grace period.
    onDrain("live streams", () => hub.closeAll());
    g.__rcLiveHub = hub;
  }
  return g.__rcLiveHub;
}

/** The sparklines' data: the last hour per check, and signals per minute. */
export async function readHealthHistory(caller: Caller = {}) {
  await authorized("health.read", caller);
  return healthMonitor().historySnapshot();
}

/** The snapshot and the counts of evaluations and shared reads, for the Prometheus exposition. */
export async function readMetricsInput(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  const monitor = healthMonitor();
  // The exposition carries no detail today; redacted anyway, so a new metric cannot leak one.
  return {
    snapshot: redactChecks(await monitor.get(), can(actor.role, "health.details")),
    evaluations: monitor.evaluations,
    sharedReads: monitor.sharedReads,
    anchoring: anchoringStatus(),
    leader: leadsIncidentEvaluation(),
    live: { open: liveHub().streams, opened: liveHub().opened },
  };
}

/** The stakeholders' reduced status (lib/recovery/health/status.ts): no checks, no SQL, no hosts. */
export async function readStatus(caller: Caller = {}) {
  if (!statusIsPublic()) await authorized("status.read", caller);
  const monitor = healthMonitor();
  const [snapshot, incident] = await Promise.all([monitor.get(), orNullAfter(statusIncident(), INCIDENT_WAIT_MS)]);
  return buildStatus(snapshot, { history: (id) => monitor.historyOf(id), incident, checks: monitoredChecks() });
}

/**
 * The status as an Atom feed (lib/recovery/status-feed.ts): incidents opening, escalating and
 * resolving, and the public notes, in plain words. Same access as readStatus.
 */
export async function readStatusFeed(requestOrigin: string, caller: Caller = {}) {
  const status = await readStatus(caller);
  const events = await listStatusFeedEvents({ limit: 50 });
  const e = env();
  const origin = e.CONSOLE_PUBLIC_URL || process.env.AUTH_URL || requestOrigin;
  return statusFeed({ origin, status, events, plain: (n) => PLAIN[n] ?? "a trading system problem" });
}

/** The emergency contacts (names and numbers: personal data, so behind health.read like the runbook). */
export async function readContacts(caller: Caller = {}) {
  await authorized("health.read", caller);
  return loadContacts();
}

// ── Incidents ─────────────────────────────────────────────────────────────────────────────

/**
 * The open incidents, one read at a time per variant: every viewer's banner polls this, so requests
 * that arrive while a read is in flight share it instead of each taking a console-store connection
 * (with many viewers the pool ran out and the banner answered 503). Nothing is kept once the read
 * is done, so an answer is never older than the read in flight when its request arrived.
 */
const incidentReads = new Map<boolean, ReturnType<typeof currentIncidents>>();
function sharedCurrentIncidents(withContacts: boolean): ReturnType<typeof currentIncidents> {
  let read = incidentReads.get(withContacts);
  if (!read) {
    read = currentIncidents({ withContacts }).finally(() => incidentReads.delete(withContacts));
    incidentReads.set(withContacts, read);
  }
  return read;
}

/** Open incidents for the dashboard banner; contacts only for roles that may read incidents. Throws when the store is down. */
export async function readOpenIncidents(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  return sharedCurrentIncidents(can(actor.role, "incidents.read"));
}

/** The same, or null when the console store does not answer in time (the dashboard renders without it). */
export async function readOpenIncidentsOrNull(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  return orNullAfter(sharedCurrentIncidents(can(actor.role, "incidents.read")), INCIDENT_WAIT_MS);
}

export async function readIncidents(caller: Caller = {}) {
  await authorized("incidents.read", caller);
  return listIncidents({ limit: 200 });
}

/** What the incident page keeps live: the incident's status and level now (issue 18, point 9). */
export type IncidentNow = {
  generatedAt: string;
  incident: {
    id: number;
    ref: string;
    status: "open" | "resolved";
    currentLevel: 1 | 2 | 3;
    asks: string;
    nextLevelInMs: number | null;
    resolvedAt: string | null;
    acknowledgedBy: string | null;
    commander: string | null;
    checkIds: string[];
  };
};

export async function readIncidentNow(id: number, caller: Caller = {}): Promise<IncidentNow | null> {
  await authorized("incidents.read", caller);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const incident = await getIncident({ id });
  if (!incident) return null;
  const now = Date.now();
  const v = viewIncident(incident, now, { withContacts: false });
  return {
    generatedAt: new Date(now).toISOString(),
    incident: {
      id: v.id,
      ref: v.ref,
      status: v.status,
      currentLevel: v.currentLevel,
      asks: v.asks,
      nextLevelInMs: v.nextLevelInMs,
      resolvedAt: v.resolvedAt,
      acknowledgedBy: v.acknowledgedBy,
      commander: v.commander,
      checkIds: v.checkIds,
    },
  };
}

/**
 * One incident with its timeline, actions and notification deliveries, the runbook version in
 * force when it opened, and the first newer runbook seen since it started (which ticks "Update
 * runbook with lessons learned"); null when there is none with that id.
 */
export async function readIncident(id: number, caller: Caller = {}) {
  await authorized("incidents.read", caller);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const incident = await getIncident({ id });
  if (!incident) return null;
  const [events, actions, deliveries, versions, runbookUpdated] = await Promise.all([
    getIncidentEvents({ id }),
    getIncidentActions({ incident }),
    getDeliveries({ incidentId: id }),
    getRunbookVersions({ hashes: incident.runbookHash ? [incident.runbookHash] : [] }),
    runbookUpdatedSince({ since: incident.startedAt, hash: incident.runbookHash ?? null }),
  ]);
  return { incident, events, actions, deliveries, runbookVersion: versions[0] ?? null, runbookUpdated, scenarios: runbookState().current.runbook.scenarios };
}

// ── Runbook ───────────────────────────────────────────────────────────────────────────────

/** The runbook in force (from RUNBOOK_FILE) and the last problem loading it, if any. */
export async function readRunbook(caller: Caller = {}) {
  await authorized("health.read", caller);
  return runbookState();
}

/** The recorded runbook versions, newest first, or null when the console store does not answer. */
export async function readRunbookVersions(caller: Caller = {}) {
  await authorized("health.read", caller);
  return orNullAfter(listRunbookVersions({ limit: 20 }), INCIDENT_WAIT_MS);
}

/** The runbook's load problem, for the banner: only roles that can fix or act on it (on-call, admin) see it. */
export async function readRunbookProblem(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  if (!can(actor.role, "runbook.problems")) return null;
  return runbookState().error;
}

// ── Actions ───────────────────────────────────────────────────────────────────────────────

export async function readPendingApprovals(caller: Caller = {}) {
  const actor = await authorized("actions.approve", caller);
  return { actor, approvals: await listPendingApprovals() };
}

// ── Automation ────────────────────────────────────────────────────────────────────────────

/**
 * Each policy's plan ("Automation will reset the circuit in 40 s") and the runs of the open
 * incidents. From the shared snapshot and the console store: nothing here queries the trading DB.
 * With no policy file, nothing is read at all.
 */
export async function readAutomation(caller: Caller = {}) {
  const actor = await authorized("health.read", caller);
  const { currentPolicies } = await import("./automation/load.ts");
  const policies = currentPolicies();
  const generatedAt = new Date().toISOString();
  if (!policies.length) return { generatedAt, canPause: false, plans: [], runs: [] };
  const [{ automationView }, { listRecentAutomationRuns }] = await Promise.all([import("./automation/loop.ts"), import("../db/queries/automation.ts")]);
  const snapshot = await healthMonitor().get();
  // What automation did lately, the resolved incidents' runs too: a run that fixed the check
  // resolves its incident within seconds, and the panel still says what it did.
  const [{ plans }, recent] = await Promise.all([automationView(snapshot.checks), listRecentAutomationRuns({ limit: 50 })]);
  const runs = recent.reverse();
  return {
    generatedAt,
    canPause: can(actor.role, "automation.pause"),
    plans,
    runs: runs.slice(-50).map((r) => ({
      id: r.id,
      policy: r.policy,
      checkId: r.checkId,
      incidentId: r.incidentId,
      mode: r.mode,
      state: r.state,
      outcome: r.outcome,
      message: r.message,
      at: r.at,
    })),
  };
}

// ── Audit ─────────────────────────────────────────────────────────────────────────────────

export async function readAuditEntries(query: { filters: AuditFilters; page: AuditPage }, caller: Caller = {}) {
  await authorized("audit.read", caller);
  return listAuditEntries(query);
}

export async function readAuditEntry(seq: number, caller: Caller = {}) {
  await authorized("audit.read", caller);
  return getAuditEntry({ seq });
}

export async function readAuditHead(caller: Caller = {}) {
  await authorized("audit.read", caller);
  return getHead();
}

export async function readLatestVerification(caller: Caller = {}) {
  await authorized("audit.read", caller);
  return getLatestVerification();
}

/** The actors and actions the filter form suggests. */
export async function readAuditFacets(caller: Caller = {}) {
  await authorized("audit.read", caller);
  return listAuditFacets();
}

/** The latest external anchor of this chain's head (the anchor file; another chain's anchors in a shared file are not this chain's). */
export async function readAuditAnchor(caller: Caller = {}) {
  await authorized("audit.read", caller);
  const genesis = await getGenesis();
  return readLatestAnchorCached(anchorFilePath(), genesis?.hash ?? null);
}

/** The filtered trail as a streamed download; the export is itself an audit entry (lib/recovery/audit/export.ts). */
export async function readAuditExport(opts: { filters: AuditFilters; format: ExportFormat; request: RequestMeta }, caller: Caller = {}) {
  const actor = await requirePermission("audit.export", { request: caller.request, action: "audit.export" });
  return exportAudit({ actor, request: opts.request, filters: opts.filters, format: opts.format });
}

// ── Users ─────────────────────────────────────────────────────────────────────────────────

export async function readUsers(caller: Caller = {}) {
  await authorized("users.manage", caller);
  return listUsers();
}
