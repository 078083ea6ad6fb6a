/**
 * Guarded recovery actions against a real PostgreSQL and a real trade-director HTTP server:
 * every guard, the effects, and the two-phase audit.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { beginRun, markRunExecuted, releaseRun, withActionLock } from "@/lib/db/queries/actions";
import { cancelStaleDirectives } from "@/lib/recovery/actions/cancel-stale-directives";
import { killIdleTransactions } from "@/lib/recovery/actions/kill-idle-transactions";
import { resetCircuit } from "@/lib/recovery/actions/reset-circuit";
import { haltTrading } from "@/lib/recovery/actions/halt-trading";
import { actionByName } from "@/lib/recovery/actions";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { AuthzError, type Actor } from "@/lib/recovery/access/authz";
import { approveAction, confirmAction, previewAction } from "@/lib/recovery/actions/pipeline";
import type { ActionDefinition, ActionState, GuardContext, PreviewView } from "@/lib/recovery/actions/types";
import { can, type Role } from "@/lib/recovery/access/permissions";
import { startTradeDirector, type TradeDirectorSim } from "@/sim/trade-director";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let trading: Sql;
let store: Sql;
let director: TradeDirectorSim;

const actors: Record<string, Actor> = {};
function actor(role: Role, name: string = role): Actor {
  actors[name] ??= { id: randomUUID(), email: `${name}@actions.example.com`, role, authTime: Math.floor(Date.now() / 1000), via: "session" };
  return actors[name]!;
}

/**
 * Stands in for the session: the same permission table and the same audited denial as
 * requirePermission. A signed-in actor is a real user row (an approval re-reads its requester).
 */
function ctxFor(a: Actor | null, now?: () => number): GuardContext {
  return {
    request: { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "vitest" },
    now,
    async resolveActor(permission, action) {
      if (!a) throw new AuthzError(401, "auth.required", "Sign in to continue.");
      await store`insert into console.users (id, email, role) values (${a.id}, ${a.email}, ${a.role}) on conflict do nothing`;
      if (!can(a.role, permission)) {
        await appendAudit({ actor: a, action, outcome: "denied", detail: { permission } });
        throw new AuthzError(403, "auth.forbidden", `Your role (${a.role}) may not do this (${permission}).`);
      }
      return a;
    },
  };
}

async function previewFor<T, P>(def: ActionDefinition<T, P>, a: Actor, params: unknown = {}): Promise<PreviewView> {
  const p = await previewAction(def, params, ctxFor(a));
  expect(p, p.message).toMatchObject({ ok: true });
  return p.result!;
}

function confirmInput(p: PreviewView, extra: Record<string, unknown> = {}) {
  return {
    previewToken: p.token,
    reason: "Backlog after the director outage, per runbook",
    confirmation: p.confirmWord ?? String(p.count),
    idempotencyKey: randomUUID(),
    ...extra,
  };
}

async function auditSince(seq: number) {
  return store<
    {
      seq: string;
      action: string;
      phase: string;
      outcome: string;
      intent_seq: string | null;
      detail: Record<string, unknown> | null;
      actor_email: string | null;
    }[]
  >`
    select seq, action, phase, outcome, intent_seq, detail, actor_email from console.audit_log where seq > ${seq} order by seq`;
}

async function headSeq(): Promise<number> {
  const [r] = await store<[{ s: number }]>`select coalesce(max(seq), 0)::int as s from console.audit_log`;
  return r.s;
}

async function insertDirectives(ages: Array<{ ageSeconds: number; status?: string }>): Promise<string[]> {
  const rows = await trading<{ id: string }[]>`
    insert into trade_directives (symbol, status, created_at)
    select 'EURUSD', s, now() - make_interval(secs => a)
    from unnest(${ages.map((x) => x.ageSeconds)}::int[], ${ages.map((x) => x.status ?? "pending")}::text[]) as t(a, s)
    returning id::text as id`;
  return rows.map((r) => r.id);
}

async function statusOf(ids: string[]): Promise<Record<string, string>> {
  const rows = await trading<{ id: string; status: string }[]>`select id::text as id, status from trade_directives where id = any(${ids}::bigint[])`;
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
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
    IDLE_TX_SECONDS: "1",
    ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: "30",
    ACTION_COOLDOWN_CANCEL_DIRECTIVES_SECONDS: "0",
    ACTION_COOLDOWN_KILL_SESSIONS_SECONDS: "0",
    ACTION_RATE_LIMIT_PER_MINUTE: "1000",
    PREVIEW_RATE_LIMIT_PER_MINUTE: "1000",
    RECOVERY_ACTIONS_ENABLED: "1",
  });
});

beforeEach(async () => {
  await resetTrading(trading);
  // Cooldowns and rate limits count earlier runs; each test starts from none.
  await store`delete from console.action_runs`;
  director.mode = "normal";
  director.state = "closed";
});

afterAll(async () => {
  await director.close();
  await trading.end();
  await store.end();
  await closeStores();
});

describe("cancel stale directives", () => {
  it("cancels exactly the previewed ids that still match: a processed one is skipped, a locked one is reported locked within the lock timeout", async () => {
    const [a, b, c] = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }, { ageSeconds: 700 }]);
    const [fresh] = await insertDirectives([{ ageSeconds: 5 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    expect(p.count).toBe(3);
    expect(p.rows.map((r) => r.id)).toEqual([a, b, c]);
    // Between preview and confirm: the director processes one, and another transaction locks one.
    await trading`update trade_directives set status = 'executed' where id = ${b!}`;
    const locker = postgres(inject("tradingUrl"), { max: 1, onnotice: () => {} });
    const holder = await locker.reserve();
    await holder`begin`;
    await holder`select id from trade_directives where id = ${c!} for update`;
    const seq = await headSeq();
    try {
      const started = Date.now();
      const state = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor("oncall")));
      expect(Date.now() - started).toBeLessThan(4000);
      expect(state).toMatchObject({ ok: true, status: "done", result: { outcome: "partial" } });
      expect(Object.fromEntries(state.result!.perTarget.map((t) => [t.target, t.outcome]))).toEqual({
        [a!]: "cancelled",
        [b!]: "skipped_not_pending",
        [c!]: "skipped_locked",
      });
    } finally {
      await holder`rollback`;
      holder.release();
      await locker.end();
    }
    expect(await statusOf([a!, b!, c!, fresh!])).toEqual({ [a!]: "cancelled", [b!]: "executed", [c!]: "pending", [fresh!]: "pending" });
    // Two-phase audit: an intent before, an outcome after that points at it.
    const entries = (await auditSince(seq)).filter((e) => e.action === "directives.cancel_stale");
    expect(entries.map((e) => [e.phase, e.outcome])).toEqual([
      ["intent", "pending"],
      ["outcome", "partial"],
    ]);
    expect(Number(entries[1]!.intent_seq)).toBe(Number(entries[0]!.seq));
    expect(entries[1]!.detail).toMatchObject({ perTarget: { total: 3 }, before: { value: expect.anything() }, after: expect.anything() });
    // Sudo mode on record: the sign-in the destructive action was allowed on.
    expect(entries[0]!.detail).toMatchObject({ auth_time: new Date(actor("oncall").authTime * 1000).toISOString() });
  });

  it("cancels a single directive from the stale table", async () => {
    const [a, b] = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"), { ids: [b] });
    expect(p.count).toBe(1);
    const state = await confirmAction(cancelStaleDirectives, confirmInput(p, { params: { ids: [b] } }), ctxFor(actor("oncall")));
    expect(state.result?.perTarget).toEqual([{ target: b, outcome: "cancelled" }]);
    expect(await statusOf([a!, b!])).toEqual({ [a!]: "pending", [b!]: "cancelled" });
  });
});

describe("kill idle transactions", () => {
  // The scope against other databases, the console's own role and sessions named recovery-console…:
  // tests/db/idle-transactions.test.ts ("blast radius").
  it("terminates real idle-in-transaction sessions one by one, and skips superuser backends with their reason", async () => {
    const admin = connect("admin");
    const role = `rc_app_${process.pid}`;
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.unsafe(`create role ${role} login password 'app-password'`);
    await admin.unsafe(`grant connect on database ${new URL(inject("tradingUrl")).pathname.slice(1)} to ${role}`);
    const url = new URL(inject("tradingUrl"));
    url.username = role;
    url.password = "app-password";
    const open = async (appName: string, asUrl: string) => {
      const c = postgres(asUrl, { max: 1, onnotice: () => {}, connection: { application_name: appName } });
      const r = await c.reserve();
      await r`begin`;
      await r`select 1`;
      return { c, r };
    };
    const app1 = await open("distortsignals-api", url.toString());
    const app2 = await open("distortsignals-api", url.toString());
    const superuser = await open("dba-psql", inject("tradingUrl"));
    try {
      const pidOf = async (s: { r: postgres.ReservedSql }) => (await s.r<[{ pid: number }]>`select pg_backend_pid() as pid`)[0].pid;
      const [p1, p2, ps] = [await pidOf(app1), await pidOf(app2), await pidOf(superuser)];
      let p: PreviewView | undefined;
      await expect
        .poll(
          async () => {
            p = await previewFor(killIdleTransactions, actor("oncall"));
            return p.count;
          },
          { timeout: 10_000, interval: 200 },
        )
        .toBe(2);
      expect(p!.rows.map((r) => r.pid).sort()).toEqual([p1, p2].sort());
      expect(p!.excluded).toEqual(expect.arrayContaining([{ target: String(ps), reason: expect.stringMatching(/superuser/) }]));
      // A pid can be reused by a new session between preview and confirm: the same pid with
      // another backend_start is reported gone and left alone.
      const reused = await killIdleTransactions.execute([{ pid: p1, backendStartUs: "1" }], {
        params: {},
        idempotencyKey: randomUUID(),
        requestId: randomUUID(),
      });
      expect(reused.perTarget).toEqual([{ target: String(p1), outcome: "gone", detail: expect.any(String) }]);
      expect(await trading`select pid from pg_stat_activity where pid = ${p1} and state = 'idle in transaction'`).toHaveLength(1);

      const state = await confirmAction(killIdleTransactions, confirmInput(p!), ctxFor(actor("oncall")));
      expect(state).toMatchObject({ ok: true, result: { outcome: "succeeded" } });
      expect(Object.fromEntries(state.result!.perTarget.map((t) => [t.target, t.outcome]))).toEqual({ [p1]: "terminated", [p2]: "terminated" });
      // Seen from a DBA's connection: the two targets are gone, the excluded sessions untouched.
      // (Not by querying the killed connections: postgres.js 3.4.9 crashes on a query sent over a
      // reserved connection whose backend was terminated.)
      await expect
        .poll(
          async () => (await trading<{ pid: number }[]>`select pid from pg_stat_activity where pid = any(${[p1, p2, ps]}::int[])`).map((r) => r.pid).sort(),
          { timeout: 5000 },
        )
        .toEqual([ps]);
      expect(await superuser.r`select 1 as ok`).toEqual([{ ok: 1 }]);
    } finally {
      await superuser.r`rollback`.catch(() => {});
      for (const s of [app1, app2, superuser]) {
        s.r.release();
        await s.c.end({ timeout: 1 }).catch(() => {});
      }
      await admin.unsafe(`drop owned by ${role}`).catch(() => {});
      await admin.unsafe(`drop role if exists ${role}`).catch(() => {});
      await admin.end();
    }
  });
});

describe("reset circuit against the trade-director simulator", () => {
  it("closes an open circuit, sending X-Request-Id and Idempotency-Key, and records before and after", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall"));
    expect(p.summary).toMatch(/open/);
    const input = confirmInput(p);
    const state = await confirmAction(resetCircuit, input, ctxFor(actor("oncall")));
    expect(state).toMatchObject({ ok: true, result: { outcome: "succeeded", detail: { stateBefore: "open", stateAfter: "closed" } } });
    expect(director.state).toBe("closed");
    const post = director.requests.filter((r) => r.path === "/admin/reset-circuit").at(-1)!;
    expect(post.headers["idempotency-key"]).toBe(input.idempotencyKey);
    expect(post.headers["x-request-id"]).toMatch(/[0-9a-f-]{36}/);
  });

  it("records a 500 as failed", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall", "oncall-500"));
    director.mode = "error500";
    const state = await confirmAction(resetCircuit, confirmInput(p), ctxFor(actor("oncall", "oncall-500")));
    expect(state).toMatchObject({ ok: false, status: "done", result: { outcome: "failed" } });
    expect(state.message).toMatch(/HTTP 500/);
    // The director answered: a 500 is never sent again.
    expect(state.result?.detail).toMatchObject({ attempts: 1 });
  });

  it("sends once more after a gateway's 503, with the same Idempotency-Key, and succeeds", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall"));
    const input = confirmInput(p);
    director.failNextPosts(503);
    const before = director.requests.length;
    const state = await confirmAction(resetCircuit, input, ctxFor(actor("oncall")));
    expect(state).toMatchObject({ ok: true, result: { outcome: "succeeded", detail: { attempts: 2 } } });
    const posts = director.requests.slice(before).filter((r) => r.path === "/admin/reset-circuit");
    expect(posts.map((r) => r.headers["idempotency-key"])).toEqual([input.idempotencyKey, input.idempotencyKey]);
    expect(director.resetCount).toBeGreaterThan(0);
  });

  it("retries at most once", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall"));
    // Two gateway errors: a second retry would get through and succeed.
    director.failNextPosts(503, 503);
    const before = director.requests.length;
    const state = await confirmAction(resetCircuit, confirmInput(p), ctxFor(actor("oncall")));
    expect(state).toMatchObject({ ok: false, result: { outcome: "failed", detail: { attempts: 2 } } });
    expect(director.requests.slice(before).filter((r) => r.path === "/admin/reset-circuit")).toHaveLength(2);
    expect(director.state).toBe("open");
  });

  it("never sends again after a reset connection: the request may have arrived", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall"));
    director.failNextPosts("drop");
    const before = director.requests.length;
    const state = await confirmAction(resetCircuit, confirmInput(p), ctxFor(actor("oncall")));
    expect(state).toMatchObject({ ok: false, result: { outcome: "failed", detail: { attempts: 1 } } });
    expect(director.requests.slice(before).filter((r) => r.path === "/admin/reset-circuit")).toHaveLength(1);
  });

  it("sends once more when the connection is refused (the request never arrived)", async () => {
    const p = await previewFor(resetCircuit, actor("oncall"));
    const closed = await startTradeDirector({ port: 0 });
    await closed.close();
    await withEnv({ TRADE_DIRECTOR_URL: closed.url });
    try {
      const state = await confirmAction(resetCircuit, confirmInput(p), ctxFor(actor("oncall")));
      expect(state).toMatchObject({ ok: false, result: { outcome: "failed", detail: { attempts: 2 } } });
      expect(state.message).toMatch(/ECONNREFUSED/);
    } finally {
      await withEnv({ TRADE_DIRECTOR_URL: director.url });
    }
  });

  it("ends a hung director within the timeout as timeout_unknown, and reads the state again instead of retrying", async () => {
    director.open();
    const p = await previewFor(resetCircuit, actor("oncall", "oncall-hang"));
    director.mode = "hang";
    const before = director.requests.filter((r) => r.path === "/admin/reset-circuit").length;
    const seq = await headSeq();
    const started = Date.now();
    const state = await confirmAction(resetCircuit, confirmInput(p), ctxFor(actor("oncall", "oncall-hang")));
    // The director never answers, so only the deadlines end the run: the reads before and after and
    // the one reset (TRADE_DIRECTOR_TIMEOUT_MS each, 600 here), the related check's re-run
    // (CIRCUIT_TIMEOUT_MS, 2000 by default), and the store's writes (slack for a loaded machine).
    expect(Date.now() - started).toBeLessThan(3 * 600 + 2000 + 4000);
    expect(state).toMatchObject({ status: "done", result: { outcome: "timeout_unknown" } });
    expect(director.requests.filter((r) => r.path === "/admin/reset-circuit").length - before).toBe(1);
    const outcome = (await auditSince(seq)).find((e) => e.phase === "outcome");
    expect(outcome?.outcome).toBe("timeout_unknown");
  });
});

describe("guards", () => {
  it("runs two on-call users' simultaneous confirms exactly once", async () => {
    director.open();
    const [pa, pb] = [await previewFor(resetCircuit, actor("oncall", "alice")), await previewFor(resetCircuit, actor("oncall", "bob"))];
    const resetsBefore = director.resetCount;
    const [ra, rb] = await Promise.all([
      confirmAction(resetCircuit, confirmInput(pa), ctxFor(actor("oncall", "alice"))),
      confirmAction(resetCircuit, confirmInput(pb), ctxFor(actor("oncall", "bob"))),
    ]);
    expect(director.resetCount - resetsBefore).toBe(1);
    const codes = [ra.code, rb.code].sort();
    expect(codes[0]).toMatch(/^guard\.(busy|cooldown)$/);
    expect(codes[1]).toBe("outcome.succeeded");
  });

  it("runs the same idempotency key once, returns the first result, and refuses the key with other parameters", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const input = confirmInput(p);
    const [first, second] = await Promise.all([
      confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall"))),
      confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall"))),
    ]);
    const states = [first, second];
    // One ran; the duplicate either saw it in progress or got its result.
    expect(states.filter((s) => s.result?.intentSeq !== undefined).length).toBeGreaterThanOrEqual(1);
    const third = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(third.result?.intentSeq).toBe((first.result ?? second.result)!.intentSeq);
    const [{ n }] = await store<
      [{ n: number }]
    >`select count(*)::int as n from console.audit_log where action = 'directives.cancel_stale' and phase = 'intent' and detail->>'idempotencyKey' = ${input.idempotencyKey}`;
    expect(n).toBe(1);
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled" });
    const mismatch = await confirmAction(cancelStaleDirectives, { ...input, reason: "A different reason for the same key" }, ctxFor(actor("oncall")));
    expect(mismatch).toMatchObject({ ok: false, code: "guard.idempotency_mismatch" });
  });

  it("answers a duplicate that arrives while the first is still running with 'in progress', and runs it once", async () => {
    await withEnv({ TRADE_DIRECTOR_TIMEOUT_MS: "3000" });
    try {
      director.open();
      const p = await previewFor(resetCircuit, actor("oncall"));
      const input = confirmInput(p);
      director.mode = "hang";
      const posts = () => director.requests.filter((r) => r.path === "/admin/reset-circuit").length;
      const before = posts();
      const requestsBefore = director.requests.length;
      const first = confirmAction(resetCircuit, input, ctxFor(actor("oncall")));
      // The first request is executing (its read of the circuit is held at the director) before the duplicate is sent.
      await expect.poll(() => director.requests.length, { timeout: 2500, interval: 10 }).toBeGreaterThan(requestsBefore);
      const duplicate = await confirmAction(resetCircuit, input, ctxFor(actor("oncall")));
      expect(duplicate).toMatchObject({ ok: false, status: "in_progress", code: "guard.in_progress" });
      director.mode = "normal";
      expect(await first).toMatchObject({ status: "done" });
      expect(posts() - before).toBe(1);
    } finally {
      await withEnv({ TRADE_DIRECTOR_TIMEOUT_MS: "600" });
    }
  });

  it("never executes a run whose key was given back (a late run after a lock deadline cannot take effect)", async () => {
    const key = randomUUID();
    expect(await beginRun({ key, action: "directives.cancel_stale", actorId: actor("oncall").id, paramsHash: "h" })).toEqual({ claimed: true });
    await releaseRun({ key });
    await expect(markRunExecuted({ key, intentSeq: 1 })).rejects.toThrow(/claim .* is gone/);
    // A held claim executes once, and only once.
    const held = randomUUID();
    await beginRun({ key: held, action: "directives.cancel_stale", actorId: actor("oncall").id, paramsHash: "h" });
    await markRunExecuted({ key: held, intentSeq: 1 });
    await expect(markRunExecuted({ key: held, intentSeq: 1 })).rejects.toThrow(/gone/);
  });

  it("answers guard.busy while another run holds the action, and gives the key back: the same request retried afterwards runs", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const input = confirmInput(p);
    let holding!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // Another run (another console instance, say) holds the action's lock.
    const other = withActionLock(cancelStaleDirectives.name, async () => {
      holding();
      await released;
    });
    await held;
    const busy = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(busy).toMatchObject({ ok: false, code: "guard.busy" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });
    release();
    expect(await other).toEqual({ locked: true, value: undefined });

    // The same key again (a retry from the same dialog): judged afresh, not answered "busy" from memory.
    const retried = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(retried).toMatchObject({ ok: true, code: "outcome.succeeded" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled" });
  });

  it.each([["viewer"], ["auditor"]] as const)("refuses a %s's direct request, changes nothing, and audits it as denied", async (role) => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const seq = await headSeq();
    const state = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor(role)));
    expect(state).toMatchObject({ ok: false, code: "auth.forbidden" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });
    expect(await auditSince(seq)).toEqual([
      expect.objectContaining({ action: "directives.cancel_stale", outcome: "denied", actor_email: `${role}@actions.example.com` }),
    ]);
    expect(await previewAction(cancelStaleDirectives, {}, ctxFor(actor(role)))).toMatchObject({ ok: false, code: "auth.forbidden" });
  });

  it("refuses an anonymous request and audits it", async () => {
    const seq = await headSeq();
    expect(await confirmAction(cancelStaleDirectives, {}, ctxFor(null))).toMatchObject({ ok: false, code: "auth.required" });
    expect(await auditSince(seq)).toEqual([expect.objectContaining({ outcome: "denied", actor_email: null })]);
  });

  it("refuses an expired or tampered preview token, a missing reason and a wrong confirmation, changing nothing", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const cases: Array<[string, unknown, GuardContext, string]> = [
      ["expired", confirmInput(p), ctxFor(actor("oncall"), () => Date.now() + 3 * 60_000), "preview.expired"],
      ["tampered", confirmInput(p, { previewToken: p.token.replace(/.$/, (c) => (c === "A" ? "B" : "A")) }), ctxFor(actor("oncall")), "preview.invalid"],
      ["another user's", confirmInput(p), ctxFor(actor("oncall", "mallory")), "preview.mismatch"],
      ["no reason", confirmInput(p, { reason: "" }), ctxFor(actor("oncall")), "guard.input"],
      ["short reason", confirmInput(p, { reason: "because" }), ctxFor(actor("oncall")), "guard.input"],
      ["wrong confirmation", confirmInput(p, { confirmation: "3" }), ctxFor(actor("oncall")), "guard.confirmation"],
      ["no idempotency key", confirmInput(p, { idempotencyKey: undefined }), ctxFor(actor("oncall")), "guard.input"],
    ];
    for (const [name, input, ctx, code] of cases) {
      const seq = await headSeq();
      const state = await confirmAction(cancelStaleDirectives, input, ctx);
      expect(state, name).toMatchObject({ ok: false, code });
      expect(await auditSince(seq), name).toEqual([expect.objectContaining({ outcome: "refused", detail: expect.objectContaining({ guard: code }) })]);
    }
    const short = await confirmAction(cancelStaleDirectives, confirmInput(p, { reason: "because" }), ctxFor(actor("oncall")));
    expect(short.errors?.reason?.[0]).toMatch(/at least 10 characters/);
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
  });

  it("asks for a fresh sign-in for destructive actions after the sudo window", async () => {
    const stale = { ...actor("oncall"), id: actor("oncall").id, authTime: Math.floor(Date.now() / 1000) - 16 * 60 };
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, stale);
    expect(await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(stale))).toMatchObject({ ok: false, code: "auth.reauth_required" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });
  });

  it("answers a second reset within the cooldown with the time to wait", async () => {
    director.open();
    const first = await previewFor(resetCircuit, actor("oncall", "carol"));
    expect((await confirmAction(resetCircuit, confirmInput(first), ctxFor(actor("oncall", "carol")))).code).toBe("outcome.succeeded");
    director.open();
    const second = await previewFor(resetCircuit, actor("oncall", "carol"));
    const state = await confirmAction(resetCircuit, confirmInput(second), ctxFor(actor("oncall", "carol")));
    expect(state).toMatchObject({ ok: false, code: "guard.cooldown", retryAfterSeconds: expect.any(Number) });
    expect(state.retryAfterSeconds).toBeGreaterThan(20);
    expect(director.state).toBe("open");
  });

  it("limits each user's executions per minute", async () => {
    await withEnv({ ACTION_RATE_LIMIT_PER_MINUTE: "1" });
    try {
      await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
      const p1 = await previewFor(cancelStaleDirectives, actor("oncall", "dave"), {});
      const one = p1.rows[0]!.id as string;
      const pOne = await previewFor(cancelStaleDirectives, actor("oncall", "dave"), { ids: [one] });
      expect((await confirmAction(cancelStaleDirectives, confirmInput(pOne, { params: { ids: [one] } }), ctxFor(actor("oncall", "dave")))).code).toBe(
        "outcome.succeeded",
      );
      const p2 = await previewFor(cancelStaleDirectives, actor("oncall", "dave"));
      expect(await confirmAction(cancelStaleDirectives, confirmInput(p2), ctxFor(actor("oncall", "dave")))).toMatchObject({
        code: "guard.rate_limit",
        retryAfterSeconds: expect.any(Number),
      });
    } finally {
      await withEnv({ ACTION_RATE_LIMIT_PER_MINUTE: "1000" });
    }
  });

  it("turns every action off with the kill switch", async () => {
    await withEnv({ RECOVERY_ACTIONS_ENABLED: "0" });
    try {
      const seq = await headSeq();
      expect(await previewAction(resetCircuit, {}, ctxFor(actor("oncall")))).toMatchObject({ ok: false, code: "guard.kill_switch" });
      expect(await confirmAction(resetCircuit, {}, ctxFor(actor("oncall")))).toMatchObject({ ok: false, code: "guard.kill_switch" });
      expect((await auditSince(seq)).map((e) => e.outcome)).toEqual(["refused", "refused"]);
    } finally {
      await withEnv({ RECOVERY_ACTIONS_ENABLED: "1" });
    }
  });

  it("needs a second on-call's approval above the blast radius, never the requester's own", async () => {
    await withEnv({ APPROVAL_THRESHOLD_ROWS: "1" });
    try {
      const ids = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
      const p = await previewFor(cancelStaleDirectives, actor("oncall", "erin"));
      expect(p.needsApproval).toBe(true);
      const requested = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor("oncall", "erin")));
      expect(requested).toMatchObject({ ok: true, status: "approval_required", approvalId: expect.any(String) });
      expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
      const self = await approveAction(actionByName, { approvalId: requested.approvalId, idempotencyKey: randomUUID() }, ctxFor(actor("oncall", "erin")));
      expect(self).toMatchObject({ ok: false, code: "approval.self" });
      const viewer = await approveAction(actionByName, { approvalId: requested.approvalId, idempotencyKey: randomUUID() }, ctxFor(actor("viewer")));
      expect(viewer).toMatchObject({ ok: false, code: "auth.forbidden" });
      // Past APPROVAL_TTL_SECONDS (5 minutes) the request has expired: nobody can approve it.
      const late = await approveAction(
        actionByName,
        { approvalId: requested.approvalId, idempotencyKey: randomUUID() },
        ctxFor(actor("oncall", "frank"), () => Date.now() + 5 * 60_000 + 1000),
      );
      expect(late).toMatchObject({ ok: false, code: "approval.closed" });
      expect(late.message).toMatch(/expired/);
      expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
      const approved = await approveAction(actionByName, { approvalId: requested.approvalId, idempotencyKey: randomUUID() }, ctxFor(actor("oncall", "frank")));
      expect(approved).toMatchObject({ ok: true, status: "done", result: { outcome: "succeeded" } });
      expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled", [ids[1]!]: "cancelled" });
      const again = await approveAction(actionByName, { approvalId: requested.approvalId, idempotencyKey: randomUUID() }, ctxFor(actor("oncall", "grace")));
      expect(again).toMatchObject({ ok: false, code: "approval.closed" });
    } finally {
      await withEnv({ APPROVAL_THRESHOLD_ROWS: undefined });
    }
  });
});

/** The preview a token names (its id travels inside the signed token). */
async function previewRow(p: PreviewView) {
  const id = (JSON.parse(Buffer.from(p.token.split(".")[0]!, "base64url").toString("utf8")) as string[])[0]!;
  const [row] = await store<
    { id: string; expires_at: Date; consumed_at: Date | null }[]
  >`select id, expires_at, consumed_at from console.action_previews where id = ${id}`;
  return row!;
}

describe("previews", () => {
  it("refuses and audits a confirm whose parameters differ from the preview's, changing nothing", async () => {
    const [a, b] = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"), { ids: [a] });
    const seq = await headSeq();
    // Another directive, or none named (the whole backlog): not what was previewed.
    for (const extra of [{ params: { ids: [b] } }, {}]) {
      const state = await confirmAction(cancelStaleDirectives, confirmInput(p, extra), ctxFor(actor("oncall")));
      expect(state).toMatchObject({ ok: false, code: "preview.mismatch" });
    }
    expect((await auditSince(seq)).map((e) => [e.outcome, e.detail?.guard])).toEqual([
      ["refused", "preview.mismatch"],
      ["refused", "preview.mismatch"],
    ]);
    expect(await statusOf([a!, b!])).toEqual({ [a!]: "pending", [b!]: "pending" });
    // The previewed parameters run.
    const state = await confirmAction(cancelStaleDirectives, confirmInput(p, { params: { ids: [a] } }), ctxFor(actor("oncall")));
    expect(state).toMatchObject({ ok: true, code: "outcome.succeeded" });
    expect(await statusOf([a!, b!])).toEqual({ [a!]: "cancelled", [b!]: "pending" });
  });

  it("is confirmed once: another key is refused and audited, the same key replays the first answer", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const input = confirmInput(p);
    const first = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(first).toMatchObject({ ok: true, code: "outcome.succeeded" });
    // A directive that is stale too: a second run of the same preview must not reach it either way.
    const [later] = await insertDirectives([{ ageSeconds: 900 }]);
    const seq = await headSeq();
    const second = await confirmAction(cancelStaleDirectives, { ...input, idempotencyKey: randomUUID() }, ctxFor(actor("oncall")));
    expect(second).toMatchObject({ ok: false, code: "preview.used" });
    expect((await auditSince(seq)).map((e) => [e.outcome, e.detail?.guard])).toEqual([["refused", "preview.used"]]);
    const replay = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(replay.result?.intentSeq).toBe(first.result!.intentSeq);
    expect(await statusOf([ids[0]!, later!])).toEqual({ [ids[0]!]: "cancelled", [later!]: "pending" });
  });

  it("is given back when its confirm was refused before any effect: the next confirm of it runs", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    let holding!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const other = withActionLock(cancelStaleDirectives.name, async () => {
      holding();
      await released;
    });
    await held;
    expect(await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor("oncall")))).toMatchObject({ ok: false, code: "guard.busy" });
    release();
    await other;
    expect((await previewRow(p)).consumed_at).toBeNull();
    expect(await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor("oncall")))).toMatchObject({ ok: true, code: "outcome.succeeded" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled" });
    expect((await previewRow(p)).consumed_at).not.toBeNull();
  });

  it("limits each user's previews per minute, counted in the store, and audits the refusal", async () => {
    await withEnv({ PREVIEW_RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const busy = actor("oncall", "previewer");
      for (let i = 0; i < 3; i++) await previewFor(resetCircuit, busy);
      const seq = await headSeq();
      const fourth = await previewAction(resetCircuit, {}, ctxFor(busy));
      expect(fourth).toMatchObject({ ok: false, code: "guard.rate_limit", retryAfterSeconds: expect.any(Number) });
      expect(fourth.retryAfterSeconds).toBeGreaterThan(0);
      expect(fourth.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect((await auditSince(seq)).map((e) => [e.actor_email, e.outcome, e.detail?.guard])).toEqual([[busy.email, "refused", "guard.rate_limit"]]);
      const [{ n }] = await store<[{ n: number }]>`select count(*)::int as n from console.action_previews where actor_id = ${busy.id}`;
      expect(n).toBe(3);
      // Per user: a colleague still previews.
      await previewFor(resetCircuit, actor("oncall", "colleague"));
    } finally {
      await withEnv({ PREVIEW_RATE_LIMIT_PER_MINUTE: "1000" });
    }
  });
});

describe("approvals", () => {
  beforeAll(async () => {
    await withEnv({ APPROVAL_THRESHOLD_ROWS: "1" });
  });
  afterAll(async () => {
    await withEnv({ APPROVAL_THRESHOLD_ROWS: undefined });
  });

  async function requestApproval(requester: Actor) {
    const ids = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
    const p = await previewFor(cancelStaleDirectives, requester);
    const requested = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(requester));
    expect(requested).toMatchObject({ ok: true, status: "approval_required" });
    return { ids, approvalId: requested.approvalId! };
  }

  const approve = (approvalId: string, approver: Actor) => approveAction(actionByName, { approvalId, idempotencyKey: randomUUID() }, ctxFor(approver));

  it("creates the approval, keeps its preview and audits it in one transaction: when the audit entry fails, none of it stays", async () => {
    const requester = actor("oncall", "ann");
    const ids = await insertDirectives([{ ageSeconds: 900 }, { ageSeconds: 800 }]);
    const p = await previewFor(cancelStaleDirectives, requester);
    const before = await previewRow(p);
    await store.unsafe(`create or replace function console.test_refuse_approval() returns trigger language plpgsql as $$
      begin raise exception 'test: the approval entry cannot be written'; end $$`);
    await store.unsafe(`create trigger test_refuse_approval before insert on console.audit_log for each row
      when (new.detail->>'guard' = 'approval' and new.actor_email = '${requester.email}') execute function console.test_refuse_approval()`);
    let state: ActionState;
    try {
      state = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(requester));
    } finally {
      await store.unsafe(`drop trigger test_refuse_approval on console.audit_log; drop function console.test_refuse_approval()`);
    }
    expect(state).toMatchObject({ ok: false, code: "audit.unavailable" });
    expect(await store`select id from console.action_approvals where preview_id = ${before.id}`).toHaveLength(0);
    const after = await previewRow(p);
    expect(after.expires_at).toEqual(before.expires_at);
    expect(after.consumed_at).toBeNull();
    // Once the log accepts it, the same preview asks for approval, and the approval is complete.
    const again = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(requester));
    expect(again).toMatchObject({ ok: true, status: "approval_required" });
    const [approval] = await store<{ id: string; expires_at: Date }[]>`select id, expires_at from console.action_approvals where preview_id = ${before.id}`;
    expect(approval!.id).toBe(again.approvalId);
    expect((await previewRow(p)).expires_at).toEqual(approval!.expires_at);
    const [{ n }] = await store<
      [{ n: number }]
    >`select count(*)::int as n from console.audit_log where detail->>'approvalId' = ${approval!.id} and outcome = 'pending'`;
    expect(n).toBe(1);
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
  });

  it("audits an unknown or malformed approval id under a neutral name, never another action's", async () => {
    const seq = await headSeq();
    expect(await approve(randomUUID(), actor("oncall", "ben"))).toMatchObject({ ok: false, code: "approval.not_found" });
    expect(await approveAction(actionByName, { approvalId: "not-an-id", idempotencyKey: randomUUID() }, ctxFor(actor("oncall", "ben")))).toMatchObject({
      ok: false,
      code: "guard.input",
    });
    expect((await auditSince(seq)).map((e) => [e.action, e.outcome])).toEqual([
      ["approval.unknown", "refused"],
      ["approval.unknown", "refused"],
    ]);
  });

  it("asks the approver of a destructive action for a sign-in as recent as the requester's", async () => {
    const { ids, approvalId } = await requestApproval(actor("oncall", "cora"));
    const approver = actor("oncall", "dan");
    const stale = { ...approver, authTime: Math.floor(Date.now() / 1000) - 16 * 60 };
    expect(await approve(approvalId, stale)).toMatchObject({ ok: false, code: "auth.reauth_required", reauth: { method: "password" } });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
    // Signed in again: the same approval runs.
    expect(await approve(approvalId, approver)).toMatchObject({ ok: true, status: "done", result: { outcome: "succeeded" } });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled", [ids[1]!]: "cancelled" });
  });

  it("runs an approved request only while its requester is still enabled and still holds actions.execute", async () => {
    const requester = actor("oncall", "eve");
    const approver = actor("oncall", "fay");
    const { ids, approvalId } = await requestApproval(requester);
    const seq = await headSeq();
    await store`update console.users set disabled_at = now() where id = ${requester.id}`;
    expect(await approve(approvalId, approver)).toMatchObject({ ok: false, code: "approval.requester_revoked" });
    await store`update console.users set disabled_at = null, role = 'viewer' where id = ${requester.id}`;
    expect(await approve(approvalId, approver)).toMatchObject({ ok: false, code: "approval.requester_revoked" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending", [ids[1]!]: "pending" });
    expect((await auditSince(seq)).map((e) => [e.outcome, e.detail?.guard])).toEqual([
      ["refused", "approval.requester_revoked"],
      ["refused", "approval.requester_revoked"],
    ]);
    await store`update console.users set role = 'oncall' where id = ${requester.id}`;
    expect(await approve(approvalId, approver)).toMatchObject({ ok: true, result: { outcome: "succeeded" } });
  });
});

describe("when the run cannot be marked executing", () => {
  it("writes an outcome entry tied to the intent saying the effect never started, changes nothing, and gives the key back", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const input = confirmInput(p);
    await store.unsafe(`create or replace function console.test_refuse_executed() returns trigger language plpgsql as $$
      begin raise exception 'test: the run cannot be marked executing'; end $$`);
    await store.unsafe(`create trigger test_refuse_executed before update on console.action_runs for each row
      when (new.idempotency_key = '${input.idempotencyKey}' and new.executed = 1) execute function console.test_refuse_executed()`);
    const seq = await headSeq();
    let state: ActionState;
    try {
      state = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    } finally {
      await store.unsafe(`drop trigger test_refuse_executed on console.action_runs; drop function console.test_refuse_executed()`);
    }
    expect(state).toMatchObject({ ok: false, code: "audit.unavailable" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });
    const entries = (await auditSince(seq)).filter((e) => e.action === "directives.cancel_stale");
    expect(entries.map((e) => [e.phase, e.outcome])).toEqual([
      ["intent", "pending"],
      ["outcome", "failed"],
    ]);
    expect(Number(entries[1]!.intent_seq)).toBe(Number(entries[0]!.seq));
    expect(entries[1]!.detail).toMatchObject({ effect: "not started", cause: expect.stringMatching(/cannot be marked executing/) });
    // Nothing ran: the same request runs now.
    expect(await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")))).toMatchObject({ ok: true, code: "outcome.succeeded" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled" });
  });
});

describe("when the audit store is unreachable", () => {
  it("refuses the action and changes nothing", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    await closeStores();
    await withEnv({ CONSOLE_DATABASE_URL: "postgres://postgres@127.0.0.1:1/console", DB_CONNECT_TIMEOUT_S: "1" });
    let state: ActionState;
    try {
      state = await confirmAction(cancelStaleDirectives, confirmInput(p), ctxFor(actor("oncall")));
    } finally {
      await closeStores();
      await withEnv({ CONSOLE_DATABASE_URL: inject("consoleUrl"), DB_CONNECT_TIMEOUT_S: undefined });
    }
    expect(state).toMatchObject({ ok: false, code: "audit.unavailable" });
    expect(state.message).toMatch(/nothing was done/);
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });
  });
});

describe("when the intent cannot be written", () => {
  it("does not run the effect, and gives the key back so the same request runs once the log accepts it", async () => {
    const ids = await insertDirectives([{ ageSeconds: 900 }]);
    const p = await previewFor(cancelStaleDirectives, actor("oncall"));
    const reason = "The intent of this request cannot be written (test)";
    const input = confirmInput(p, { reason });
    // The store is up and the preview reads fine; only this request's intent insert fails.
    await store.unsafe(`create or replace function console.test_refuse_intent() returns trigger language plpgsql as $$
      begin raise exception 'test: the intent cannot be written'; end $$`);
    await store.unsafe(`create trigger test_refuse_intent before insert on console.audit_log for each row
      when (new.phase = 'intent' and new.reason = '${reason}') execute function console.test_refuse_intent()`);
    let state: ActionState;
    try {
      state = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    } finally {
      await store.unsafe(`drop trigger test_refuse_intent on console.audit_log; drop function console.test_refuse_intent()`);
    }
    expect(state).toMatchObject({ ok: false, code: "audit.unavailable" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "pending" });

    const retried = await confirmAction(cancelStaleDirectives, input, ctxFor(actor("oncall")));
    expect(retried).toMatchObject({ ok: true, code: "outcome.succeeded" });
    expect(await statusOf(ids)).toEqual({ [ids[0]!]: "cancelled" });
  });
});

describe("halt trading (runbook level 3)", () => {
  beforeAll(async () => {
    await withEnv({ TRADE_DIRECTOR_HALT_URL: `${director.url}/admin/halt` });
  });
  afterAll(async () => {
    await withEnv({ TRADE_DIRECTOR_HALT_URL: undefined });
  });
  beforeEach(async () => {
    await store`delete from console.incident_events`;
    await store`delete from console.incidents`;
    director.processing = true;
  });

  it("needs a second on-call before level 3", async () => {
    const p = await previewFor(haltTrading, actor("oncall", "henry"));
    expect(p.needsApproval).toBe(true);
    const state = await confirmAction(haltTrading, confirmInput(p), ctxFor(actor("oncall", "henry")));
    expect(state).toMatchObject({ ok: true, status: "approval_required" });
    expect(director.processing).toBe(true);
  });

  it("is confirmed by typing the words HALT TRADING, not the count", async () => {
    await store`insert into console.incidents (scenario, title, started_at, check_ids) values (2, 'stuck', now() - interval '31 minutes', '["circuit_breaker"]')`;
    const p = await previewFor(haltTrading, actor("oncall", "ivy"));
    expect(p).toMatchObject({ count: 1, confirmWord: "HALT TRADING" });
    for (const typed of ["1", "halt", "HALT"]) {
      const state = await confirmAction(haltTrading, confirmInput(p, { confirmation: typed }), ctxFor(actor("oncall", "ivy")));
      expect(state, typed).toMatchObject({ ok: false, code: "guard.confirmation", errors: { confirmation: ["Type HALT TRADING to confirm."] } });
    }
    expect(director.processing).toBe(true);
  });

  it("halts at once when an incident is at level 3", async () => {
    await store`insert into console.incidents (scenario, title, started_at, check_ids) values (2, 'stuck', now() - interval '31 minutes', '["circuit_breaker"]')`;
    const p = await previewFor(haltTrading, actor("oncall", "ivy"));
    expect(p.needsApproval).toBe(false);
    const state = await confirmAction(haltTrading, confirmInput(p), ctxFor(actor("oncall", "ivy")));
    expect(state).toMatchObject({ ok: true, status: "done", result: { outcome: "succeeded" } });
    expect(director.processing).toBe(false);
  });
});
