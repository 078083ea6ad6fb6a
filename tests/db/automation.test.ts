/**
 * Level 1 automated recovery against a real PostgreSQL and a real trade-director HTTP server: the
 * leader's loop runs a policy through the guarded pipeline (audit as `automation`, reason = the
 * policy), dry-runs change nothing, limits stop it, a person's approval is asked for and never given
 * by automation, pauses and kill switches hold, only the leader runs, and a run left in flight by
 * a dead leader is resolved as "outcome unknown".
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores, withConsole } from "@/lib/db/client";
import { setAutomationPause } from "@/lib/db/queries/automation";
import { actionByName } from "@/lib/recovery/actions";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { AuthzError, type Actor } from "@/lib/recovery/access/authz";
import { setPolicies } from "@/lib/recovery/automation/load";
import { automationTick, automationView, takeOverAutomation } from "@/lib/recovery/automation/loop";
import { automationSummary } from "@/lib/recovery/automation/plan";
import type { Policy } from "@/lib/recovery/automation/policy";
import { automationKey } from "@/lib/recovery/automation/runner";
import { AutomationError, setPaused } from "@/lib/recovery/automation/service";
import { circuitBreaker } from "@/lib/recovery/health/checks/circuit-breaker";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { AUTOMATION_ACTOR, approveAction } from "@/lib/recovery/actions/pipeline";
import type { GuardContext } from "@/lib/recovery/actions/types";
import { IncidentEvaluator } from "@/lib/recovery/incidents/evaluator";
import { drainNotifications } from "@/lib/recovery/incidents/notify";
import { can } from "@/lib/recovery/access/permissions";
import { runCheck } from "@/lib/recovery/health/snapshot";
import { startTradeDirector, type TradeDirectorSim } from "@/sim/trade-director";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let trading: Sql;
let store: Sql;
let director: TradeDirectorSim;
/** director.resetCount counts since the director started: each test reads its own resets. */
let resetsBefore = 0;
const resets = () => director.resetCount - resetsBefore;
/** The audit head when the test began: each test reads its own entries. */
let seqBefore = 0;

const resetPolicy = (over: Partial<Policy> = {}): Policy => ({
  name: "reset-circuit-when-open",
  check: "circuit_breaker",
  when: { criticalForSeconds: 30 },
  action: "circuit.reset",
  params: {},
  limits: { maxRunsPerIncident: 2, minSecondsBetweenRuns: 0, maxTargets: 1 },
  mode: "on",
  ...over,
});

const stalePolicy = (over: Partial<Policy> = {}): Policy => ({
  name: "cancel-stale",
  check: "directives_stale_pending",
  when: { criticalForSeconds: 0 },
  action: "directives.cancel_stale",
  params: {},
  limits: { maxRunsPerIncident: 1, minSecondsBetweenRuns: 0, maxTargets: 10 },
  mode: "on",
  ...over,
});

/** The circuit as the snapshot would give it, critical since `sinceMs` ago. */
async function circuitCheck(now: number, sinceMs = 60_000): Promise<CheckResult> {
  const c = await runCheck(circuitBreaker, 3000);
  return { ...c, since: { at: new Date(now - sinceMs).toISOString(), exact: true } };
}

function staleCheck(now: number): CheckResult {
  return {
    id: "directives_stale_pending",
    title: "Stale pending directives",
    status: "critical",
    value: 3,
    unit: "directives",
    summary: "3 stale",
    threshold: "",
    detail: {},
    observedAt: new Date(now).toISOString(),
    durationMs: 1,
    scenario: 1,
    since: { at: new Date(now - 60_000).toISOString(), exact: true },
  };
}

async function openIncident(checkIds: string[], scenario = 2): Promise<number> {
  const [row] = await store<{ id: string }[]>`
    insert into console.incidents (scenario, title, started_at, check_ids) values (${scenario}, 'test', now() - interval '1 minute', ${store.json(checkIds)}) returning id`;
  return Number(row!.id);
}

async function audit(action: string) {
  return store<
    {
      seq: string;
      phase: string;
      outcome: string;
      actor_email: string | null;
      actor_id: string | null;
      reason: string | null;
      incident_ref: string | null;
      intent_seq: string | null;
      detail: Record<string, unknown> | null;
    }[]
  >`
    select seq, phase, outcome, actor_email, actor_id, reason, incident_ref, intent_seq, detail from console.audit_log where action = ${action} and seq > ${seqBefore} order by seq`;
}

async function runs() {
  return store<{ policy: string; state: string; outcome: string | null; incident_id: string; message: string; detail: Record<string, unknown> | null }[]>`
    select policy, state, outcome, incident_id, message, detail from console.automation_runs order by id`;
}

function ctxFor(a: Actor): GuardContext {
  return {
    request: { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "vitest" },
    async resolveActor(permission, action) {
      if (a.id !== AUTOMATION_ACTOR.id) await store`insert into console.users (id, email, role) values (${a.id}, ${a.email}, ${a.role}) on conflict do nothing`;
      if (a.id !== AUTOMATION_ACTOR.id && !can(a.role, permission)) {
        await appendAudit({ actor: a, action, outcome: "denied", detail: { permission } });
        throw new AuthzError(403, "auth.forbidden", "no");
      }
      return a;
    },
  };
}

beforeAll(async () => {
  trading = connect("trading");
  store = connect("console");
  director = await startTradeDirector({ port: 0 });
  await closeStores();
  await withEnv({
    AUTH_SECRET: "test-secret-test-secret-test-secret!!",
    TRADE_DIRECTOR_URL: director.url,
    TRADE_DIRECTOR_TIMEOUT_MS: "600",
    STALE_DIRECTIVE_SECONDS: "60",
    ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: "0",
    ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS: "0",
    ACTION_RATE_LIMIT_PER_MINUTE: "1000",
    PREVIEW_RATE_LIMIT_PER_MINUTE: "1000",
    RECOVERY_ACTIONS_ENABLED: "1",
    AUTOMATION_ENABLED: "1",
    APPROVAL_THRESHOLD_ROWS: undefined,
    INCIDENT_WEBHOOK_URLS: undefined,
    ESCALATION_L2_MINUTES: undefined,
  });
});

beforeEach(async () => {
  await resetTrading(trading);
  await store`delete from console.action_runs`;
  await store`delete from console.action_approvals`;
  await store`delete from console.automation_runs`;
  await store`delete from console.automation_pauses`;
  await store`delete from console.incident_events`;
  await store`delete from console.incidents`;
  await store`delete from console.check_transitions`;
  await withEnv({ RECOVERY_ACTIONS_ENABLED: "1", AUTOMATION_ENABLED: "1", APPROVAL_THRESHOLD_ROWS: undefined });
  director.mode = "normal";
  director.state = "open";
  resetsBefore = director.resetCount;
  seqBefore = (await store<[{ s: number }]>`select coalesce(max(seq), 0)::int as s from console.audit_log`)[0].s;
  setPolicies([resetPolicy()]);
});

afterAll(async () => {
  setPolicies();
  await director.close();
  await trading.end();
  await store.end();
  await closeStores();
});

describe("the automation loop", () => {
  it("waits until the check has been critical for N seconds, then runs the action through the guarded pipeline as `automation`", async () => {
    const id = await openIncident(["circuit_breaker"]);
    const now = Date.now();
    // Critical for 20 s of the 30 required: it says when, and does nothing.
    expect(await automationTick([await circuitCheck(now, 20_000)], { now })).toEqual([]);
    const { plans } = await automationView([await circuitCheck(now, 20_000)], { now });
    expect(plans[0]).toMatchObject({ kind: "waiting", text: "Automation will reset the circuit in 10 s." });
    expect(resets()).toBe(0);

    const done = await automationTick([await circuitCheck(now, 31_000)], { now });
    expect(done).toHaveLength(1);
    expect(resets()).toBe(1);
    expect(director.state).toBe("closed");
    const entries = await audit("circuit.reset");
    expect(entries.map((e) => [e.phase, e.outcome, e.actor_email, e.actor_id, e.reason, e.incident_ref])).toEqual([
      ["intent", "pending", "automation", "system:automation", "reset-circuit-when-open", `INC-${id}`],
      ["outcome", "succeeded", "automation", "system:automation", "reset-circuit-when-open", `INC-${id}`],
    ]);
    // The re-check ran: the outcome holds the check after the effect.
    expect(entries[0]!.detail).toMatchObject({ automation: { policy: "reset-circuit-when-open" }, preview: { count: 1 } });
    expect(entries[1]!.detail).toMatchObject({ after: { status: "ok" } });
    expect(await runs()).toMatchObject([{ state: "ran", outcome: "succeeded", detail: { recovered: true } }]);
    const [ev] = await store<
      { kind: string; actor: string; data: { state: string; message: string } }[]
    >`select kind, actor, data from console.incident_events where incident_id = ${id} and kind = 'automation'`;
    expect(ev).toMatchObject({ actor: "automation", data: { state: "ran" } });
    expect(ev!.data.message).toContain("The check recovered");
    // The run went through the action's own idempotency key, stored.
    expect(
      (
        await store`select 1 from console.action_runs where idempotency_key = ${automationKey("reset-circuit-when-open", id, 1)} and actor_id = 'system:automation'`
      ).length,
    ).toBe(1);
  });

  it("the storm: the circuit re-opens after every reset; automation stops after its most runs with exactly that many intent/outcome pairs, and says so once", async () => {
    const id = await openIncident(["circuit_breaker"]);
    let now = Date.now();
    for (let i = 0; i < 6; i++) {
      await automationTick([await circuitCheck(now)], { now });
      director.state = "open";
      now += 11_000;
    }
    expect(resets()).toBe(2);
    const entries = await audit("circuit.reset");
    expect(entries.filter((e) => e.phase === "intent")).toHaveLength(2);
    expect(entries.filter((e) => e.phase === "outcome")).toHaveLength(2);
    expect((await runs()).map((r) => r.state)).toEqual(["ran", "ran", "exhausted"]);
    const { plans } = await automationView([await circuitCheck(now)], { now });
    expect(plans[0]).toMatchObject({ kind: "exhausted", runsUsed: 2 });
    // What an escalation would say it tried.
    const { runs: rows } = await automationView([await circuitCheck(now)], { now });
    expect(automationSummary(rows.filter((r) => r.incidentId === id))).toMatch(
      /^Automation tried 2 times \(reset the circuit: (succeeded|failed); reset the circuit: (succeeded|failed)\)/,
    );
  });

  it("dry-run writes a `would run` entry with the preview and changes nothing", async () => {
    setPolicies([resetPolicy({ mode: "dry-run", limits: { maxRunsPerIncident: 1, minSecondsBetweenRuns: 0, maxTargets: 1 } })]);
    const id = await openIncident(["circuit_breaker"]);
    const now = Date.now();
    await automationTick([await circuitCheck(now)], { now });
    await automationTick([await circuitCheck(now + 20_000)], { now: now + 20_000 });
    expect(resets()).toBe(0);
    expect(director.state).toBe("open");
    expect(await audit("circuit.reset")).toEqual([]);
    const [w] = await audit("automation.would_run");
    expect(w).toMatchObject({
      actor_email: "automation",
      reason: "reset-circuit-when-open",
      incident_ref: `INC-${id}`,
      detail: { mode: "dry-run", action: "circuit.reset", preview: { count: 1 } },
    });
    expect((await runs()).map((r) => r.state)).toEqual(["would_run", "exhausted"]);
  });

  it("above the policy's most targets it hands over to a person, once", async () => {
    setPolicies([stalePolicy({ limits: { maxRunsPerIncident: 3, minSecondsBetweenRuns: 0, maxTargets: 2 } })]);
    await trading`insert into trade_directives (symbol, status, created_at) select 'EURUSD', 'pending', now() - interval '10 minutes' from generate_series(1, 3)`;
    await openIncident(["directives_stale_pending"], 1);
    const now = Date.now();
    await automationTick([staleCheck(now)], { now });
    await automationTick([staleCheck(now + 20_000)], { now: now + 20_000 });
    expect((await trading`select 1 from trade_directives where status = 'pending'`).length).toBe(3);
    expect((await runs()).map((r) => r.state)).toEqual(["handed_over"]);
    const [h] = await audit("directives.cancel_stale");
    expect(h).toMatchObject({ outcome: "refused", actor_email: "automation", detail: { guard: "automation.handover", maxTargets: 2 } });
  });

  it("above an approval threshold it asks a person; automation never approves, a person's approval runs it", async () => {
    await withEnv({ APPROVAL_THRESHOLD_ROWS: "2" });
    setPolicies([stalePolicy()]);
    await trading`insert into trade_directives (symbol, status, created_at) select 'EURUSD', 'pending', now() - interval '10 minutes' from generate_series(1, 3)`;
    await openIncident(["directives_stale_pending"], 1);
    const now = Date.now();
    await automationTick([staleCheck(now)], { now });
    const [approval] = await store<
      { id: string; requested_by: string; requested_by_email: string; state: string }[]
    >`select id, requested_by, requested_by_email, state from console.action_approvals`;
    expect(approval).toMatchObject({ requested_by: "system:automation", requested_by_email: "automation", state: "pending" });
    expect((await runs()).map((r) => r.state)).toEqual(["approval_required"]);
    expect((await automationView([staleCheck(now + 20_000)], { now: now + 20_000 })).plans[0]).toMatchObject({ kind: "awaiting_approval" });
    // It does not ask twice while the first request waits.
    await automationTick([staleCheck(now + 20_000)], { now: now + 20_000 });
    expect(await store`select 1 from console.action_approvals`).toHaveLength(1);

    const self = await approveAction(actionByName, { approvalId: approval!.id, idempotencyKey: randomUUID() }, ctxFor(AUTOMATION_ACTOR));
    expect(self).toMatchObject({ ok: false, code: "approval.system" });
    expect((await trading`select 1 from trade_directives where status = 'pending'`).length).toBe(3);

    const person: Actor = { id: randomUUID(), email: "second@example.com", role: "oncall", authTime: Math.floor(Date.now() / 1000), via: "session" };
    const ok = await approveAction(actionByName, { approvalId: approval!.id, idempotencyKey: randomUUID() }, ctxFor(person));
    expect(ok, ok.message).toMatchObject({ ok: true, status: "done" });
    expect((await trading`select 1 from trade_directives where status = 'pending'`).length).toBe(0);
    const [intent, outcome] = (await audit("directives.cancel_stale")).filter((e) => e.phase !== "event");
    expect(intent).toMatchObject({
      phase: "intent",
      actor_email: "second@example.com",
      reason: "cancel-stale",
      detail: { approval: { requestedBy: "automation", approvedBy: "second@example.com" } },
    });
    expect(outcome).toMatchObject({ phase: "outcome", outcome: "succeeded", reason: "cancel-stale" });
  });

  it("a paused policy does not run, on any instance; kill switches stop it", async () => {
    await openIncident(["circuit_breaker"]);
    const now = Date.now();
    await withConsole((sql) => setAutomationPause(sql, { policy: "reset-circuit-when-open", paused: true, by: "u1", byEmail: "oncall@example.com" }));
    await automationTick([await circuitCheck(now)], { now });
    expect((await automationView([await circuitCheck(now)], { now })).plans[0]).toMatchObject({
      kind: "paused",
      text: expect.stringContaining("paused by oncall@example.com"),
    });
    await store`delete from console.automation_pauses`;

    await withEnv({ AUTOMATION_ENABLED: "0" });
    await automationTick([await circuitCheck(now)], { now });
    await withEnv({ AUTOMATION_ENABLED: "1", RECOVERY_ACTIONS_ENABLED: "0" });
    await automationTick([await circuitCheck(now)], { now });
    expect(resets()).toBe(0);
    expect(await runs()).toEqual([]);

    await withEnv({ RECOVERY_ACTIONS_ENABLED: "1" });
    await automationTick([await circuitCheck(now)], { now });
    expect(resets()).toBe(1);
  });

  it("only the incident leader runs policies: two instances, one run", async () => {
    const now = Date.now();
    const checks = [await circuitCheck(now)];
    // The evaluator's own wiring: with a policy file named, the leader runs the policies in force.
    await withEnv({ AUTOMATION_FILE: "automation.example.yaml" });
    const mk = () => new IncidentEvaluator({ intervalMs: 1000, now: () => now, evaluate: async () => checks, log: () => {}, janitor: async () => {} });
    const a = mk();
    const b = mk();
    try {
      await Promise.all([a.tick(), b.tick()]);
      await Promise.all([a.tick(), b.tick()]);
      expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
      expect(resets()).toBe(1);
      expect((await audit("circuit.reset")).filter((e) => e.phase === "intent")).toHaveLength(1);
    } finally {
      await a.stop();
      await b.stop();
      await withEnv({ AUTOMATION_FILE: undefined });
    }
  });

  it("a run left in flight by a dead leader is resolved as outcome unknown by the next one", async () => {
    const id = await openIncident(["circuit_breaker"]);
    await store`insert into console.automation_runs (policy, incident_id, check_id, action, mode, state, message) values ('reset-circuit-when-open', ${id}, 'circuit_breaker', 'circuit.reset', 'on', 'running', 'resetting')`;
    const resolved = await takeOverAutomation(() => {});
    expect(resolved).toHaveLength(1);
    expect((await runs()).map((r) => [r.state, r.message.startsWith("Outcome unknown")])).toEqual([["unknown", true]]);
    expect((await store`select 1 from console.incident_events where incident_id = ${id} and kind = 'automation' and data->>'state' = 'unknown'`).length).toBe(
      1,
    );
    // It counts as a run: the next one is run 2, with its own key.
    const now = Date.now() + 11_000;
    await automationTick([await circuitCheck(now)], { now });
    expect(resets()).toBe(1);
    expect((await store`select 1 from console.action_runs where idempotency_key = ${automationKey("reset-circuit-when-open", id, 2)}`).length).toBe(1);
  });

  it("escalation goes on: L2 arrives on the clock and says what automation tried", async () => {
    const bodies: Array<{ event: string; text: string }> = [];
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        bodies.push(JSON.parse(raw));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    await withEnv({ INCIDENT_WEBHOOK_URLS: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, ESCALATION_L2_MINUTES: "15" });
    try {
      const now = Date.now();
      const checks = [await circuitCheck(now)];
      const ev = new IncidentEvaluator({
        intervalMs: 1000,
        now: () => now,
        evaluate: async () => checks,
        log: () => {},
        janitor: async () => {},
        automate: (c) => automationTick(c, { now }),
      });
      try {
        await ev.tick();
        expect(resets()).toBe(1);
        director.state = "open";
        const [inc] = await store<{ id: string }[]>`select id from console.incidents`;
        // 16 minutes later, still open after automation: L2, saying what it tried.
        await store`update console.incidents set started_at = now() - interval '16 minutes' where id = ${inc!.id}`;
        await ev.tick();
        await drainNotifications();
        const escalated = bodies.find((b) => b.event === "escalated");
        expect(escalated?.text).toMatch(/escalated to level 2 .*Automation tried 1 time \(reset the circuit: (succeeded|failed)\)/);
        expect(bodies.filter((b) => b.event === "automation")[0]?.text).toMatch(
          /^INC-\d+: Automation \(reset-circuit-when-open\) reset the circuit, run 1 of 2: succeeded\..*The check recovered/,
        );
      } finally {
        await ev.stop();
      }
    } finally {
      await withEnv({ INCIDENT_WEBHOOK_URLS: undefined, ESCALATION_L2_MINUTES: undefined });
      await new Promise((r) => server.close(r));
    }
  });

  it("on-call pauses and resumes a policy: stored for every instance, audited with the change", async () => {
    const person: Actor = { id: randomUUID(), email: "pauser@example.com", role: "oncall", authTime: Math.floor(Date.now() / 1000), via: "session" };
    const request = { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "vitest" };
    expect(await setPaused({ policy: "reset-circuit-when-open", paused: true }, person, request)).toEqual({ changed: true });
    expect(await setPaused({ policy: "reset-circuit-when-open", paused: true }, person, request)).toEqual({ changed: false });
    expect(await store`select paused_by_email from console.automation_pauses`).toEqual([{ paused_by_email: "pauser@example.com" }]);
    expect(await setPaused({ policy: "reset-circuit-when-open", paused: "false" }, person, request)).toEqual({ changed: true });
    expect(await store`select 1 from console.automation_pauses`).toHaveLength(0);
    const entries = [...(await audit("automation.pause")), ...(await audit("automation.resume"))];
    expect(entries.map((e) => [e.actor_email, e.outcome, (e.detail as { policy: string; changed: boolean }).changed])).toEqual([
      ["pauser@example.com", "succeeded", true],
      ["pauser@example.com", "succeeded", false],
      ["pauser@example.com", "succeeded", true],
    ]);
    await expect(setPaused({ policy: "no-such-policy", paused: true }, person, request)).rejects.toBeInstanceOf(AutomationError);
    expect(await store`select 1 from console.automation_pauses`).toHaveLength(0);
  });
});
