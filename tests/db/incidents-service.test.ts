/**
 * The incident commander and the post-incident checklist against a real PostgreSQL: each change is
 * stored, shows in the timeline and is audited; bad input, an unknown incident and a resolved one
 * get a clear answer and change nothing. Also the Slack-compatible webhook format end to end.
 * Incidents are rows written directly; the server actions run with a mocked session of a real user.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// First: its mocks apply to the imports below.
import { request, session } from "../support/next-request";
import { setChecklistItemAction, setIncidentCommanderAction } from "@/app/incidents/actions";
import { closeStores } from "@/lib/db/client";
import { getDeliveries, getIncident, getIncidentEvents } from "@/lib/db/queries/incidents";
import type { Actor } from "@/lib/recovery/access/authz";
import { clearSessionCache } from "@/lib/recovery/access/authz";
import { drainNotifications } from "@/lib/recovery/incidents/notify";
import { describeEvent, draftReport } from "@/lib/recovery/incidents/report";
import { acknowledge, IncidentError, setChecklistItem, setCommander } from "@/lib/recovery/incidents/service";
import { addUser } from "@/lib/recovery/access/users";
import { connect, withEnv, type Sql } from "../support/db";

request.headers = new Headers({ "x-request-id": "incidents-service" });

let store: Sql;
const oncall: Actor = { id: randomUUID(), email: "oncall@example.com", role: "oncall", authTime: Math.floor(Date.now() / 1000), via: "session" };
const MISSING = 987_654_321;

async function resetIncidents() {
  await store`delete from console.incident_events`;
  await store`delete from console.notification_deliveries`;
  await store`delete from console.incidents`;
}

/** An incident as the evaluator would have written it. */
async function insertIncident({ resolved = false } = {}): Promise<number> {
  const [row] = await store<{ id: string }[]>`
    insert into console.incidents (scenario, title, status, started_at, check_ids, resolved_at)
    values (1, 'Signals stopped', ${resolved ? "resolved" : "open"}, now() - interval '20 minutes', ${store.json(["signals-recent"])},
            ${resolved ? new Date(Date.now() - 60_000) : null})
    returning id`;
  return Number(row!.id);
}

async function auditHead(): Promise<number> {
  const [h] = await store<{ head: number }[]>`select coalesce(max(seq), 0)::int as head from console.audit_log`;
  return h!.head;
}

type AuditRow = {
  action: string;
  phase: string;
  outcome: string;
  actor_email: string | null;
  actor_role: string | null;
  incident_ref: string | null;
  params: unknown;
  request: { requestId?: string } | null;
};
async function auditSince(head: number): Promise<AuditRow[]> {
  return store<
    AuditRow[]
  >`select action, phase, outcome, actor_email, actor_role, incident_ref, params, request from console.audit_log where seq > ${head} order by seq`;
}

/** Everything a change could touch: the incident rows, the timeline, the audit head. */
async function snapshot() {
  const incidents = await store`select * from console.incidents order by id`;
  const events = await store`select * from console.incident_events order by id`;
  return { incidents, events, auditHead: await auditHead() };
}

beforeAll(async () => {
  store = connect("console");
  await closeStores();
  await withEnv({ INCIDENT_WEBHOOK_URLS: undefined, INCIDENT_WEBHOOK_FORMAT: undefined, CONSOLE_PUBLIC_URL: undefined });
});
beforeEach(resetIncidents);
afterAll(async () => {
  await resetIncidents();
  await store.end();
  await closeStores();
});

describe("the incident commander", () => {
  it("is stored, shows in the timeline with the previous commander, and is audited with actor and request", async () => {
    const id = await insertIncident();
    const head = await auditHead();

    const first = await setCommander({ incidentId: id, commander: "Dana Scully" }, oncall, { requestId: "req-commander-1" });
    expect(first).toMatchObject({ id, commander: "Dana Scully", status: "open" });
    const second = await setCommander({ incidentId: id, commander: "Fox Mulder" }, oncall, { requestId: "req-commander-2" });
    expect(second.commander).toBe("Fox Mulder");
    expect((await getIncident({ id }))!.commander).toBe("Fox Mulder");

    const events = (await getIncidentEvents({ id })).filter((e) => e.kind === "commander");
    expect(events.map((e) => ({ actor: e.actor, public: e.public, data: e.data }))).toEqual([
      { actor: "oncall@example.com", public: false, data: { commander: "Dana Scully", previous: null } },
      { actor: "oncall@example.com", public: false, data: { commander: "Fox Mulder", previous: "Dana Scully" } },
    ]);
    expect(describeEvent(events[1]!)).toBe("Commander: Fox Mulder (set by oncall@example.com)");

    expect(await auditSince(head)).toEqual([
      {
        action: "incident.commander",
        phase: "event",
        outcome: "succeeded",
        actor_email: "oncall@example.com",
        actor_role: "oncall",
        incident_ref: `INC-${id}`,
        params: { commander: "Dana Scully" },
        request: { requestId: "req-commander-1" },
      },
      {
        action: "incident.commander",
        phase: "event",
        outcome: "succeeded",
        actor_email: "oncall@example.com",
        actor_role: "oncall",
        incident_ref: `INC-${id}`,
        params: { commander: "Fox Mulder" },
        request: { requestId: "req-commander-2" },
      },
    ]);
  });

  it("is refused on a resolved incident, changing nothing", async () => {
    const id = await insertIncident({ resolved: true });
    const before = await snapshot();
    await expect(setCommander({ incidentId: id, commander: "Dana Scully" }, oncall, {})).rejects.toMatchObject({
      name: "IncidentError",
      code: "incident.resolved",
      message: `INC-${id} is already resolved.`,
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe("the post-incident checklist", () => {
  it("merges each tick into the stored checklist, on a resolved incident too, in the timeline, the audit and the report", async () => {
    const id = await insertIncident({ resolved: true });
    const head = await auditHead();

    await setChecklistItem({ incidentId: id, item: "report", done: true }, oncall, { requestId: "req-check-1" });
    await setChecklistItem({ incidentId: id, item: "postmortem", done: true }, oncall, { requestId: "req-check-2" });
    const last = await setChecklistItem({ incidentId: id, item: "report", done: false }, oncall, { requestId: "req-check-3" });
    expect(last.checklist).toEqual({ report: false, postmortem: true });
    const stored = (await getIncident({ id }))!;
    expect(stored).toMatchObject({ status: "resolved", checklist: { report: false, postmortem: true } });

    const events = (await getIncidentEvents({ id })).filter((e) => e.kind === "checklist");
    expect(events.map((e) => ({ actor: e.actor, data: e.data }))).toEqual([
      { actor: "oncall@example.com", data: { item: "report", done: true } },
      { actor: "oncall@example.com", data: { item: "postmortem", done: true } },
      { actor: "oncall@example.com", data: { item: "report", done: false } },
    ]);
    expect(events.map(describeEvent)).toEqual([
      'Checklist "report" done by oncall@example.com',
      'Checklist "postmortem" done by oncall@example.com',
      'Checklist "report" reopened by oncall@example.com',
    ]);

    const audited = await auditSince(head);
    expect(audited.map((a) => [a.action, a.outcome, a.actor_email, a.incident_ref, a.params, a.request?.requestId])).toEqual([
      ["incident.checklist", "succeeded", "oncall@example.com", `INC-${id}`, { item: "report", done: true }, "req-check-1"],
      ["incident.checklist", "succeeded", "oncall@example.com", `INC-${id}`, { item: "postmortem", done: true }, "req-check-2"],
      ["incident.checklist", "succeeded", "oncall@example.com", `INC-${id}`, { item: "report", done: false }, "req-check-3"],
    ]);

    const report = draftReport({ incident: stored, events: await getIncidentEvents({ id }), actions: [], deliveries: [], now: Date.now() });
    expect(report).toContain("- [ ] Write incident report");
    expect(report).toContain("- [x] Schedule blameless postmortem");
  });
});

describe("an unknown incident", () => {
  it("gets a clear not-found error from both changes, and nothing is written", async () => {
    await insertIncident();
    const before = await snapshot();
    for (const attempt of [
      () => setCommander({ incidentId: MISSING, commander: "Dana Scully" }, oncall, {}),
      () => setChecklistItem({ incidentId: MISSING, item: "report", done: true }, oncall, {}),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IncidentError);
      expect(err).toMatchObject({ code: "incident.not_found", message: `There is no incident INC-${MISSING}.` });
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("through the server actions, as a signed-in on-call", () => {
  beforeAll(async () => {
    const email = `incidents.oncall.${randomUUID().slice(0, 8)}@example.com`;
    const { id } = await addUser({ email, role: "oncall", password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
    const [row] = await store<{ version: number }[]>`select session_version as version from console.users where id = ${id}`;
    session.current = { user: { id, email, role: "oncall" }, sv: row!.version, authTime: Math.floor(Date.now() / 1000) };
    clearSessionCache();
  });
  afterAll(() => {
    session.current = null;
    clearSessionCache();
  });

  const form = (fields: Record<string, string>) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    return fd;
  };

  it("refuses an empty commander and an unknown checklist item with field errors, changing nothing", async () => {
    const id = await insertIncident();
    const before = await snapshot();

    expect(await setIncidentCommanderAction({ ok: false }, form({ incidentId: String(id), commander: "   " }))).toEqual({
      ok: false,
      code: "input.invalid",
      message: "Some fields need attention.",
      fieldErrors: { commander: ["Name the incident commander."] },
    });
    const badItem = await setChecklistItemAction({ incidentId: id, item: "coffee", done: true });
    expect(badItem).toMatchObject({ ok: false, code: "input.invalid", fieldErrors: { item: [expect.stringMatching(/report.*runbook.*adr.*postmortem/)] } });
    const badId = await setChecklistItemAction({ incidentId: "abc", item: "report", done: true });
    expect(badId).toMatchObject({ ok: false, code: "input.invalid", fieldErrors: { incidentId: [expect.any(String)] } });

    // Nothing changed; each refusal is one audit entry (lib/actions/mutation.ts), and nothing else.
    const after = await snapshot();
    expect({ ...after, auditHead: before.auditHead }).toEqual(before);
    expect((await auditSince(before.auditHead)).map((a) => [a.action, a.outcome])).toEqual([
      ["incident.commander", "refused"],
      ["incident.checklist", "refused"],
      ["incident.checklist", "refused"],
    ]);
  });

  it("answers an unknown incident with its not-found message, changing nothing", async () => {
    await insertIncident();
    const before = await snapshot();
    expect(await setIncidentCommanderAction({ ok: false }, form({ incidentId: String(MISSING), commander: "Dana Scully" }))).toEqual({
      ok: false,
      code: "incident.not_found",
      message: `There is no incident INC-${MISSING}.`,
    });
    expect(await setChecklistItemAction({ incidentId: MISSING, item: "adr", done: true })).toEqual({
      ok: false,
      code: "incident.not_found",
      message: `There is no incident INC-${MISSING}.`,
    });
    expect(await snapshot()).toEqual(before);
  });

  it("stores a valid commander (trimmed) and checklist tick, audited as the signed-in user", async () => {
    const id = await insertIncident();
    const head = await auditHead();
    expect(await setIncidentCommanderAction({ ok: false }, form({ incidentId: String(id), commander: "  Dana Scully  " }))).toEqual({
      ok: true,
      result: null,
      message: "Saved.",
    });
    expect(await setChecklistItemAction({ incidentId: id, item: "adr", done: true })).toEqual({ ok: true, result: null, message: "Saved." });
    expect(await getIncident({ id })).toMatchObject({ commander: "Dana Scully", checklist: { adr: true } });
    // A hand-made request may send the flag as text: "false" unticks (z.coerce.boolean read it as true).
    expect(await setChecklistItemAction({ incidentId: id, item: "adr", done: "false" })).toEqual({ ok: true, result: null, message: "Saved." });
    expect(await getIncident({ id })).toMatchObject({ checklist: { adr: false } });
    expect(await setChecklistItemAction({ incidentId: id, item: "adr", done: "maybe" })).toMatchObject({
      ok: false,
      code: "input.invalid",
      fieldErrors: { done: [expect.any(String)] },
    });
    const email = (session.current!.user as { email: string }).email;
    expect((await auditSince(head)).map((a) => [a.action, a.outcome, a.actor_email, a.request?.requestId])).toEqual([
      ["incident.commander", "succeeded", email, "incidents-service"],
      ["incident.checklist", "succeeded", email, "incidents-service"],
      ["incident.checklist", "succeeded", email, "incidents-service"],
      ["incident.checklist", "refused", email, "incidents-service"],
    ]);
  });
});

describe("the Slack-compatible webhook format", () => {
  it("posts { text } with the ref, the title and a link to the incident when INCIDENT_WEBHOOK_FORMAT=slack", async () => {
    const received: unknown[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ contentType: req.headers["content-type"], body: JSON.parse(body) });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    try {
      await withEnv({
        INCIDENT_WEBHOOK_URLS: url,
        INCIDENT_WEBHOOK_FORMAT: "slack",
        CONSOLE_PUBLIC_URL: "https://console.example.com/",
        INCIDENT_WEBHOOK_ATTEMPTS: "1",
      });
      const id = await insertIncident();
      await acknowledge(id, oncall, {});
      await drainNotifications();
      expect(received).toEqual([
        {
          contentType: "application/json",
          body: { text: `INC-${id} acknowledged by oncall@example.com: Signals stopped <https://console.example.com/incidents/${id}|open>` },
        },
      ]);
      expect((await getDeliveries({ incidentId: id })).map((d) => [d.event, d.status, d.httpStatus])).toEqual([["acknowledged", "delivered", 200]]);
    } finally {
      await withEnv({
        INCIDENT_WEBHOOK_URLS: undefined,
        INCIDENT_WEBHOOK_FORMAT: undefined,
        CONSOLE_PUBLIC_URL: undefined,
        INCIDENT_WEBHOOK_ATTEMPTS: undefined,
      });
      receiver.closeAllConnections();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
