/**
 * Incidents against a real PostgreSQL: the evaluator opens, escalates and resolves from real check
 * results on rows written directly, with an injected clock; webhooks go to real local receivers;
 * the report holds the actions taken.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { getDeliveries, getIncident, getIncidentActions, getIncidentEvents } from "@/lib/db/queries/incidents";
import { appendAudit } from "@/lib/recovery/audit/writer";
import type { Actor } from "@/lib/recovery/access/authz";
import { signalsRecent } from "@/lib/recovery/health/checks/signals-recent";
import { IncidentEvaluator } from "@/lib/recovery/incidents/evaluator";
import { drainNotifications, webhookLabel } from "@/lib/recovery/incidents/notify";
import { draftReport } from "@/lib/recovery/incidents/report";
import { acknowledge, addNote } from "@/lib/recovery/incidents/service";
import { runCheck } from "@/lib/recovery/health/snapshot";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let trading: Sql;
let store: Sql;
const min = 60_000;
const oncall: Actor = { id: randomUUID(), email: "oncall@example.com", role: "oncall", authTime: Math.floor(Date.now() / 1000), via: "session" };

async function resetIncidents() {
  await store`delete from console.incident_events`;
  await store`delete from console.notification_deliveries`;
  await store`delete from console.incidents`;
  await store`delete from console.check_transitions`;
}

function evaluatorAt(clock: { now: number }) {
  return new IncidentEvaluator({ intervalMs: 1000, now: () => clock.now, evaluate: async () => [await runCheck(signalsRecent, 3000)], log: () => {} });
}

beforeAll(async () => {
  trading = connect("trading");
  store = connect("console");
  await closeStores();
  await withEnv({
    SIGNAL_SILENCE_SECONDS: "60",
    RESOLVE_AFTER_EVALUATIONS: "3",
    ESCALATION_L2_MINUTES: "15",
    ESCALATION_L3_MINUTES: "30",
    INCIDENT_WEBHOOK_URLS: undefined,
  });
});
beforeEach(async () => {
  await resetTrading(trading);
  await resetIncidents();
});
afterAll(async () => {
  await trading.end();
  await store.end();
  await closeStores();
});

describe("the incident evaluator", () => {
  it("opens an incident when signals stop, escalates L1 → L2 → L3 on the clock, and resolves after 3 ok evaluations", async () => {
    const clock = { now: Date.now() };
    const ev = evaluatorAt(clock);
    try {
      await trading`insert into signal_outbox (created_at) values (now())`;
      await ev.tick();
      expect(await store`select * from console.incidents`).toHaveLength(0);

      await trading`truncate signal_outbox`;
      const opened = await ev.tick();
      expect(opened?.open).toHaveLength(1);
      const [row] = await store<
        { id: string; level: number; scenario: number; started_at: Date }[]
      >`select id, level, scenario, started_at from console.incidents`;
      expect(row).toMatchObject({ level: 1, scenario: 1 });
      const id = Number(row!.id);
      const start = row!.started_at.getTime();

      clock.now = start + 14 * min;
      await ev.tick();
      expect((await getIncident({ id }))!.level).toBe(1);
      clock.now = start + 15 * min;
      await ev.tick();
      expect((await getIncident({ id }))!.level).toBe(2);
      clock.now = start + 31 * min;
      await ev.tick();
      expect((await getIncident({ id }))!.level).toBe(3);

      await trading`insert into signal_outbox (created_at) values (now())`;
      for (let i = 0; i < 2; i++) await ev.tick();
      expect((await getIncident({ id }))!.status).toBe("open");
      await ev.tick();
      const resolved = (await getIncident({ id }))!;
      expect(resolved).toMatchObject({ status: "resolved", maxLevel: 3 });

      const kinds = (await getIncidentEvents({ id })).map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(["opened", "transition", "level", "resolved"]));
      expect(kinds.filter((k) => k === "level")).toHaveLength(2);
      const transitions = await store<
        { from_status: string | null; to_status: string }[]
      >`select from_status, to_status from console.check_transitions order by at, id`;
      expect(transitions.map((t) => `${t.from_status}→${t.to_status}`)).toEqual(["null→ok", "ok→critical", "critical→ok"]);
      const audited = await store<{ action: string }[]>`select action from console.audit_log where incident_ref = ${`INC-${id}`} order by seq`;
      expect(audited.map((a) => a.action)).toEqual(["incident.open", "incident.escalate", "incident.escalate", "incident.resolve"]);
    } finally {
      await ev.stop();
    }
  });

  it("records acknowledgements and notes in the timeline and the audit, in one transaction each", async () => {
    const clock = { now: Date.now() };
    const ev = evaluatorAt(clock);
    try {
      await ev.tick();
      const [{ id }] = await store<[{ id: string }]>`select id from console.incidents`;
      await acknowledge(Number(id), oncall, { requestId: randomUUID() });
      await addNote({ incidentId: Number(id), text: "Restarting the signal generator", public: true }, oncall, { requestId: randomUUID() });
      const inc = (await getIncident({ id: Number(id) }))!;
      expect(inc.acknowledgedBy).toBe("oncall@example.com");
      const events = await getIncidentEvents({ id: Number(id) });
      expect(events.find((e) => e.kind === "note")).toMatchObject({ public: true, data: { text: "Restarting the signal generator" } });
      const audited = await store<{ action: string }[]>`select action from console.audit_log where incident_ref = ${`INC-${id}`} order by seq`;
      expect(audited.map((a) => a.action)).toEqual(["incident.open", "incident.acknowledge", "incident.note"]);
    } finally {
      await ev.stop();
    }
  });

  it("drafts a report holding the actions that carry the incident's reference, and only those", async () => {
    const clock = { now: Date.now() };
    const ev = evaluatorAt(clock);
    try {
      await ev.tick();
      const [{ id }] = await store<[{ id: string }]>`select id from console.incidents`;
      const incidentRef = `INC-${id}`;
      const intent = await appendAudit({
        actor: oncall,
        action: "circuit.reset",
        phase: "intent",
        outcome: "pending",
        reason: "circuit open since 14:02",
        incidentRef,
      });
      await appendAudit({
        actor: oncall,
        action: "circuit.reset",
        phase: "outcome",
        intentSeq: intent.seq,
        outcome: "succeeded",
        reason: "circuit open since 14:02",
        incidentRef,
        detail: { message: "Circuit reset: open → closed." },
      });
      // During the incident, but not for it: no reference, so not part of it (no matching by time).
      const other = await appendAudit({
        actor: oncall,
        action: "sessions.terminate_idle",
        phase: "intent",
        outcome: "pending",
        reason: "unrelated housekeeping",
      });
      await appendAudit({
        actor: oncall,
        action: "sessions.terminate_idle",
        phase: "outcome",
        intentSeq: other.seq,
        outcome: "succeeded",
        reason: "unrelated housekeeping",
        detail: { message: "Terminated 1." },
      });
      const incident = (await getIncident({ id: Number(id) }))!;
      const actions = await getIncidentActions({ incident });
      // The incident's own entries (incident.open) are on its timeline from its events: not repeated.
      expect(actions.map((a) => a.action)).toEqual(["circuit.reset"]);
      const report = draftReport({ incident, events: await getIncidentEvents({ id: incident.id }), actions, deliveries: [], now: Date.now() });
      expect(report).toContain(`# Incident report: INC-${id}`);
      expect(report).toMatch(/\| circuit\.reset \| succeeded \| oncall@example\.com \| Circuit reset: open → closed\. \|/);
      expect(report).toContain("- [ ] Write incident report");
      expect(report).toMatch(/Impact window:/);
    } finally {
      await ev.stop();
    }
  });
});

describe("notifications", () => {
  it("delivers to a real receiver, and retries a failing one with backoff, recording every attempt", async () => {
    const received: unknown[] = [];
    let failing = 0;
    const ok = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.end("ok");
      });
    });
    const bad = http.createServer((req, res) => {
      failing++;
      req.resume();
      res.statusCode = 500;
      res.end("nope");
    });
    await new Promise<void>((r) => ok.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => bad.listen(0, "127.0.0.1", r));
    const urlOf = (s: http.Server) => `http://127.0.0.1:${(s.address() as { port: number }).port}/hook`;
    await withEnv({ INCIDENT_WEBHOOK_URLS: `${urlOf(ok)},${urlOf(bad)}`, INCIDENT_WEBHOOK_ATTEMPTS: "3", INCIDENT_WEBHOOK_BACKOFF_MS: "10" });
    const ev = evaluatorAt({ now: Date.now() });
    try {
      await ev.tick();
      await drainNotifications();
      expect(received).toEqual([
        expect.objectContaining({ event: "opened", incident: expect.objectContaining({ scenario: 1, ref: expect.stringMatching(/^INC-\d+$/) }) }),
      ]);
      expect(failing).toBe(3);
      const [{ id }] = await store<[{ id: string }]>`select id from console.incidents`;
      const deliveries = await getDeliveries({ incidentId: Number(id) });
      expect(deliveries.filter((d) => d.url === webhookLabel(urlOf(bad))).map((d) => d.status)).toEqual(["failed", "failed", "gave_up"]);
      expect(deliveries.filter((d) => d.url === webhookLabel(urlOf(ok))).map((d) => d.status)).toEqual(["delivered"]);
      const events = await getIncidentEvents({ id: Number(id) });
      expect(
        events
          .filter((e) => e.kind === "notification")
          .map((e) => (e.data as { status: string }).status)
          .sort(),
      ).toEqual(["delivered", "gave_up"]);
      // A webhook URL is a credential: what people can read names it by origin and fingerprint only.
      const stored = JSON.stringify([deliveries, events]);
      expect(stored).not.toContain("/hook");
      expect(webhookLabel(urlOf(bad))).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/… \(#[0-9a-f]{8}\)$/);
      expect(webhookLabel(urlOf(bad))).not.toBe(webhookLabel(urlOf(ok)));
      for (const secret of ["https://hooks.slack.com/services/T0001/B0001/s3cr3tT0k3n", "https://user:pw@hooks.example.com/?token=s3cr3tT0k3n"]) {
        expect(webhookLabel(secret)).toMatch(/^https:\/\/hooks\.(slack|example)\.com\/… \(#[0-9a-f]{8}\)$/);
      }
    } finally {
      await ev.stop();
      await withEnv({ INCIDENT_WEBHOOK_URLS: undefined });
      ok.close();
      bad.close();
    }
  });
});

describe("leadership", () => {
  it("lets exactly one of two evaluator processes lead, and moves leadership within an interval when the leader dies", async () => {
    const script = path.resolve("tests/support/evaluator-process.ts");
    const env = { ...process.env, TRADING_DATABASE_URL: inject("tradingUrl"), CONSOLE_DATABASE_URL: inject("consoleUrl"), EVALUATOR_INTERVAL_MS: "300" };
    const procs: Array<{ child: ChildProcess; lines: string[] }> = [];
    const startOne = () => {
      const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script], { env, stdio: ["ignore", "pipe", "inherit"] });
      const p = { child, lines: [] as string[] };
      child.stdout!.on("data", (c: Buffer) => p.lines.push(...c.toString().trim().split("\n")));
      procs.push(p);
      return p;
    };
    const a = startOne();
    const b = startOne();
    try {
      const leaders = () => procs.filter((p) => p.child.exitCode === null && p.lines.at(-1) === "LEADER");
      await expect.poll(() => leaders().length, { timeout: 15_000 }).toBe(1);
      // Still exactly one after several intervals.
      await expect.poll(() => Math.min(a.lines.length, b.lines.length), { timeout: 10_000 }).toBeGreaterThan(6);
      expect(leaders()).toHaveLength(1);
      const leader = leaders()[0]!;
      const follower = leader === a ? b : a;
      const killedAt = Date.now();
      leader.child.kill("SIGKILL");
      await expect.poll(() => follower.lines.at(-1), { timeout: 5000, interval: 50 }).toBe("LEADER");
      // One interval is 300 ms; allow for the server noticing the dead session on a loaded machine.
      expect(Date.now() - killedAt).toBeLessThan(1500);
    } finally {
      for (const p of procs) p.child.kill("SIGKILL");
    }
  });
});
