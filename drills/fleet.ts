/**
 * The fleet drill (issue 15): three consoles behind nginx round-robin (tests/support/harness/nginx.ts),
 * sharing nothing but PostgreSQL: one console store (a database of its own on the world's store
 * server, so the world's console is not a fourth instance) and the world's trading DB. Every step
 * is an HTTP request through nginx, whose `X-Upstream-Addr` says which console answered:
 *
 * - a session signed in through one instance works on the others;
 * - the same action request (same idempotency key) sent twice lands on two instances and runs once;
 * - a second run of an action while the first is in flight, on another instance, is refused by the
 *   action lock; after the first, by the cooldown;
 * - an approval requested on one instance is approved from another, and runs;
 * - the sign-in throttle counts failures made on every instance (and a forged X-Forwarded-For does
 *   not make a new client: the consoles trust exactly nginx's address);
 * - a user disabled through one instance is refused by every instance: at once for actions, within
 *   the session re-check (15 s, lib/recovery/access/authz.ts) for reads;
 * - exactly one instance leads incident evaluation; SIGKILL it, and another leads within one
 *   HEALTH_REFRESH_SECONDS interval (plus the slack explained at LEADER_SLACK_MS).
 */
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hashPassword } from "../lib/auth/password.ts";
import { migrateConsoleStore } from "../lib/db/migrate.ts";
import { freePort } from "../scripts/lib/stack.ts";
import {
  ActionClient,
  confirmRequest,
  ensureUser,
  launchConsole,
  preview,
  RECOVERY,
  secret,
  sessionCookie,
  SESSION_COOKIE,
  type ActionAnswer,
  type ActionState,
  type ConsoleUnderTest,
  type TestUser,
} from "../tests/support/harness/console.ts";
import { NGINX_PROXY_ADDRESS, startNginx, type LoadBalancer } from "../tests/support/harness/nginx.ts";
import { connect, withDatabase } from "../tests/support/harness/pg.ts";
import type { Drill } from "./drills.ts";
import { insertStale, settleDirectives, statuses, THRESHOLDS, until, type DrillWorld } from "./world.ts";

const INSTANCES = 3;
/** Failed sign-ins from one client (across accounts) before it is refused. */
const LOGIN_MAX_FAILURES = 4;
const RESET_COOLDOWN_SECONDS = 30;
/** lib/recovery/access/authz.ts RECHECK_MS: how long an instance trusts its last reading of a session for reads. */
const SESSION_RECHECK_MS = 15_000;
/**
 * Leadership moves at the survivors' next tick: within one interval of the old leader's death its
 * session (and so its advisory lock) is gone, and a follower's tick reads the checks before it
 * tries the lock. The slack covers that read (the drill's checks answer in well under a second;
 * their deadlines are 1 s: CIRCUIT_TIMEOUT_MS, TRADE_DIRECTOR_TIMEOUT_MS) and the 100 ms polling here.
 */
const LEADER_SLACK_MS = 1500;

function assert(cond: unknown, why: string): asserts cond {
  if (!cond) throw new Error(why);
}

type Fleet = {
  lb: LoadBalancer;
  nodes: ConsoleUnderTest[];
  client: ActionClient;
  storeUrl: string;
  authSecret: string;
  apiToken: string;
  /** Which instance (0-based) an nginx answer came from. */
  instanceOf(headers: Headers): number;
  close(): Promise<void>;
};

async function startFleet(world: DrillWorld, log: (line: string) => void): Promise<Fleet> {
  const admin = connect(world.store.adminUrl);
  try {
    await admin.unsafe("drop database if exists console_fleet with (force)");
    await admin.unsafe("create database console_fleet");
  } finally {
    await admin.end({ timeout: 2 });
  }
  const storeUrl = withDatabase(world.store.adminUrl, "console_fleet");
  await migrateConsoleStore(storeUrl);
  const lbPort = await freePort();
  const publicUrl = `http://127.0.0.1:${lbPort}`;
  // What must be the same on every instance (docs/deploying.md, "Several instances").
  const shared = {
    ...world.app.env,
    CONSOLE_DATABASE_URL: storeUrl,
    AUTH_SECRET: secret(32),
    CONSOLE_API_TOKEN: secret(),
    NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    CONSOLE_PUBLIC_URL: publicUrl,
    TRUSTED_PROXIES: `${NGINX_PROXY_ADDRESS}/32`,
    ACTION_COOLDOWN_RESET_CIRCUIT_SECONDS: String(RESET_COOLDOWN_SECONDS),
    APPROVAL_THRESHOLD_ROWS: "1",
    LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
    ...THRESHOLDS,
  };
  const nodes: ConsoleUnderTest[] = [];
  let lb: LoadBalancer | null = null;
  try {
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    nodes.push(
      ...(await Promise.all(
        ports.map((port, i) =>
          launchConsole({
            port,
            logFile: path.join(world.dir, `fleet-${i + 1}.log`),
            log,
            env: { ...shared, DATA_DIR: path.join(world.dir, `fleet-${i + 1}-data`) },
          }),
        ),
      )),
    );
    lb = await startNginx({ upstreams: ports, port: lbPort, log });
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  const byAddr = new Map(nodes.map((n, i) => [`127.0.0.1:${n.port}`, i]));
  const balancer = lb;
  return {
    lb: balancer,
    nodes,
    client: new ActionClient(balancer.url),
    storeUrl,
    authSecret: shared.AUTH_SECRET,
    apiToken: shared.CONSOLE_API_TOKEN,
    instanceOf(headers) {
      const addr = headers.get("x-upstream-addr") ?? "";
      // After a failed attempt nginx lists every upstream it tried ("a, b"): the last one answered.
      const last = addr.split(",").at(-1)!.trim();
      const i = byAddr.get(last);
      if (i === undefined) throw new Error(`an answer came from no known instance (X-Upstream-Addr: ${addr || "none"})`);
      return i;
    },
    async close() {
      await balancer.stop();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

const name = (i: number) => `#${i + 1}`;

function tail(file: string, lines = 12): string {
  try {
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .slice(-lines)
      .map((l) => `   | ${l}`)
      .join("\n");
  } catch {
    return "   | (no log)";
  }
}

/** A GET through nginx: its status, body and the instance that answered. */
async function get(fleet: Fleet, p: string, headers: Record<string, string>): Promise<{ status: number; body: string; instance: number }> {
  const res = await fetch(`${fleet.lb.url}${p}`, { headers, redirect: "manual", signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  return { status: res.status, body, instance: fleet.instanceOf(res.headers) };
}

/** A credentials sign-in through nginx, as the browser's form does: the CSRF token, then the callback. */
async function signIn(
  fleet: Fleet,
  email: string,
  password: string,
  forwardedFor?: string,
): Promise<{ status: number; session: string | null; csrfFrom: number; callbackFrom: number; retryAfter: string | null }> {
  const extra: Record<string, string> = forwardedFor ? { "x-forwarded-for": forwardedFor } : {};
  const csrfRes = await fetch(`${fleet.lb.url}/api/auth/csrf`, { headers: extra, signal: AbortSignal.timeout(10_000) });
  const csrfCookies = csrfRes.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const res = await fetch(`${fleet.lb.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookies.join("; "), ...extra },
    body: new URLSearchParams({ csrfToken, email, password }),
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  const session =
    res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`) && c.length > SESSION_COOKIE.length + 1) ?? null;
  return {
    status: res.status,
    session,
    csrfFrom: fleet.instanceOf(csrfRes.headers),
    callbackFrom: fleet.instanceOf(res.headers),
    retryAfter: res.headers.get("retry-after"),
  };
}

/** Each instance's own /api/metrics (as Prometheus scrapes each one): who leads incident evaluation. */
async function leaders(fleet: Fleet, alive: number[]): Promise<number[]> {
  const answers = await Promise.all(
    alive.map(async (i) => {
      const res = await fetch(`${fleet.nodes[i]!.url}/api/metrics`, {
        headers: { authorization: `Bearer ${fleet.apiToken}` },
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`instance ${name(i)}'s /api/metrics answered ${res.status}`);
      const m = /^recovery_console_incident_leader (\d)$/m.exec(text);
      if (!m) throw new Error(`instance ${name(i)}'s /api/metrics has no recovery_console_incident_leader`);
      return m[1] === "1" ? i : -1;
    }),
  );
  return answers.filter((i) => i >= 0);
}

/** Audit entries of the fleet's store after `afterSeq`. */
async function fleetAudit(fleet: Fleet, afterSeq: number): Promise<{ seq: number; action: string; phase: string; outcome: string; guard: string | null }[]> {
  const sql = connect(fleet.storeUrl);
  try {
    return await sql`
      select seq::int as seq, action, phase, outcome, detail->>'guard' as guard from console.audit_log where seq > ${afterSeq} order by seq`;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

async function fleetHead(fleet: Fleet): Promise<number> {
  const sql = connect(fleet.storeUrl);
  try {
    const [r] = await sql<[{ seq: number }]>`select coalesce(max(seq), 0)::int as seq from console.audit_log`;
    return r.seq;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

function outcomeOf(a: ActionAnswer<ActionState>): string {
  return a.value?.result?.run?.outcome ?? a.value?.code ?? a.value?.result?.status ?? `${a.status} ${a.text.slice(0, 120)}`;
}

export const fleet: Drill = {
  name: "fleet",
  fast: true,
  what: `${INSTANCES} consoles behind nginx round-robin, sharing only PostgreSQL: sessions, idempotency, the action lock and cooldown, approvals, the sign-in throttle and revocation hold across them, and incident leadership moves within one interval when its holder is killed`,
  async run(world, log) {
    const f = await startFleet(world, log);
    try {
      const store = connect(f.storeUrl, { max: 2 });
      const password = `fleet-${secret(12)}`;
      let oncall: TestUser, approver: TestUser, admin: TestUser;
      try {
        oncall = await ensureUser(store, "oncall@fleet.example", "oncall");
        approver = await ensureUser(store, "second-oncall@fleet.example", "oncall");
        admin = await ensureUser(store, "admin@fleet.example", "admin");
        await ensureUser(store, "signed-in@fleet.example", "oncall");
        await store`update console.users set password_hash = ${await hashPassword(password)} where email = 'signed-in@fleet.example'`;
      } finally {
        await store.end({ timeout: 2 });
      }
      const cookie = (u: TestUser) => sessionCookie(f.authSecret, u);

      // ── A session signed in on one instance works on the others ──
      const login = await signIn(f, "signed-in@fleet.example", password);
      assert(login.status === 302 && login.session, `the sign-in through nginx answered ${login.status} with no session cookie`);
      const served: number[] = [];
      for (let i = 0; i < INSTANCES; i++) {
        const r = await get(f, "/api/health", { cookie: login.session });
        assert(r.status === 200 && r.body.includes('"checks"'), `/api/health with the session answered ${r.status} on instance ${name(r.instance)}`);
        served.push(r.instance);
      }
      assert(new Set(served).size === INSTANCES, `the session's requests landed on ${served.map(name).join(", ")}, not on every instance`);
      log(
        `signed in: CSRF token from ${name(login.csrfFrom)}, credentials on ${name(login.callbackFrom)}; the session then read /api/health on ${served.map(name).join(", ")}`,
      );

      // ── Idempotency: the same request twice, on two instances, runs once ──
      await settleDirectives(world);
      const one = await insertStale(world, 1);
      const onCookie = await cookie(oncall);
      const p1 = await preview(f.client, "CancelStaleDirectives", onCookie);
      assert(p1.count === 1, `the preview lists ${p1.count} directives, expected 1`);
      const head = await fleetHead(f);
      const req = await confirmRequest(f.client, "CancelStaleDirectives", p1, onCookie);
      const first = await f.client.send<ActionState>(req);
      const again = await f.client.send<ActionState>(req);
      const [i1, i2] = [f.instanceOf(first.headers), f.instanceOf(again.headers)];
      assert(i1 !== i2, `both copies landed on instance ${name(i1)}`);
      assert(first.value?.result?.run?.outcome === "succeeded", `the first copy ended as ${outcomeOf(first)}`);
      assert(
        again.value?.ok && again.value.result?.run?.intentSeq === first.value.result?.run?.intentSeq,
        `the second copy did not answer as the first did (${outcomeOf(again)}, intent ${again.value?.result?.run?.intentSeq})`,
      );
      const cancelled = (await statuses(world, one))[one[0]!];
      const entries = (await fleetAudit(f, head)).filter((e) => e.action === "directives.cancel_stale");
      const intents = entries.filter((e) => e.phase === "intent");
      assert(intents.length === 1, `${intents.length} intent entries for the request sent twice`);
      assert(
        entries.some((e) => e.outcome === "refused" && e.guard === "idempotency_replay"),
        "the replay is not audited as refused (idempotency_replay)",
      );
      log(
        `the same request on ${name(i1)} then ${name(i2)}: one run (intent #${intents[0]!.seq}), the directive ${cancelled}; the replay got the first answer`,
      );

      // ── The action lock, then the cooldown, across instances ──
      world.director.open();
      const resetsBefore = world.director.resetCount;
      const pa = await preview(f.client, "ResetCircuit", onCookie);
      const pb = await preview(f.client, "ResetCircuit", onCookie);
      world.director.mode = "hang";
      let runner: number;
      try {
        const reqA = await confirmRequest(f.client, "ResetCircuit", pa, onCookie);
        const inFlight = f.client.send<ActionState>(reqA, { timeoutMs: 20_000 });
        await until(
          "the first reset to reach the trade director",
          async () => world.director.requests.some((r) => r.path === "/admin/reset-circuit" && r.headers["x-request-id"] === reqA.headers["X-Request-Id"]),
          10_000,
          50,
        );
        const busy = await f.client.send<ActionState>(await confirmRequest(f.client, "ResetCircuit", pb, onCookie));
        const a = await inFlight;
        runner = f.instanceOf(a.headers);
        const other = f.instanceOf(busy.headers);
        assert(other !== runner, `the second reset landed on the same instance (${name(runner)}) as the first`);
        assert(busy.value?.code === "guard.busy", `the second reset, on ${name(other)} while the first ran on ${name(runner)}, answered ${outcomeOf(busy)}`);
        log(`reset on ${name(runner)} in flight (the director hangs): a second reset on ${name(other)} refused, guard.busy`);
        assert(a.value?.result?.run?.outcome === "timeout_unknown", `the first reset ended as ${outcomeOf(a)}`);
      } finally {
        world.director.mode = "normal";
      }
      // A third, after the first ended: refused by the cooldown, from an instance that did not run it.
      let cooled: ActionAnswer<ActionState> | null = null;
      for (let tries = 0; tries < INSTANCES && !cooled; tries++) {
        const pc = await preview(f.client, "ResetCircuit", onCookie);
        const c = await f.client.send<ActionState>(await confirmRequest(f.client, "ResetCircuit", pc, onCookie));
        assert(c.value?.code === "guard.cooldown", `a reset right after the first answered ${outcomeOf(c)}`);
        if (f.instanceOf(c.headers) !== runner) cooled = c;
      }
      assert(cooled, `every cooldown refusal came from ${name(runner)}, the instance that ran the reset`);
      assert(world.director.resetCount - resetsBefore <= 1, `the director saw ${world.director.resetCount - resetsBefore} resets`);
      log(`then a reset on ${name(f.instanceOf(cooled.headers))}: guard.cooldown ("${cooled.value?.message?.slice(0, 60)}…")`);
      world.director.closeCircuit();

      // ── Approvals: requested on one instance, approved from another ──
      await settleDirectives(world);
      const two = await insertStale(world, 2);
      const p2 = await preview(f.client, "CancelStaleDirectives", onCookie);
      assert(p2.count === 2, `the preview lists ${p2.count} directives, expected 2`);
      const asked = await f.client.send<ActionState>(await confirmRequest(f.client, "CancelStaleDirectives", p2, onCookie));
      const approvalId = asked.value?.result?.approvalId;
      assert(asked.value?.result?.status === "approval_required" && approvalId, `2 directives above the threshold of 1 answered ${outcomeOf(asked)}`);
      const askedOn = f.instanceOf(asked.headers);
      // Round-robin: the next request goes to the next instance.
      const approved = await f.client.call<ActionState>(
        RECOVERY,
        "approveRecoveryAction",
        [{ approvalId, idempotencyKey: randomUUID() }],
        await cookie(approver),
      );
      assert(f.instanceOf(approved.headers) !== askedOn, `the approval landed on ${name(askedOn)}, the instance that took the request`);
      assert(approved.value?.result?.run?.outcome === "succeeded", `the approval answered ${outcomeOf(approved)}`);
      const after = await statuses(world, two);
      assert(
        two.every((id) => after[id] !== "pending"),
        `directives still pending after the approval: ${JSON.stringify(after)}`,
      );
      log(`approval requested on ${name(askedOn)}, approved by a second on-call on ${name(f.instanceOf(approved.headers))}: both directives cancelled`);

      // ── Revocation: disabled through one instance, refused by all ──
      const victim = login.session;
      // The admin page's action answers with the page re-rendered (revalidatePath), which the
      // harness' Flight decoder cannot read without the client modules: its effect is read from the store.
      const disableReq = await f.client.request(
        "app/admin/users/actions.ts",
        "setDisabledAction",
        [null, { email: "signed-in@fleet.example", disabled: "1" }],
        await cookie(admin),
      );
      const disable = await fetch(`${f.lb.url}${disableReq.path}`, {
        method: "POST",
        headers: disableReq.headers,
        body: disableReq.body,
        redirect: "manual",
        signal: AbortSignal.timeout(15_000),
      });
      await disable.arrayBuffer();
      const disabledOn = f.instanceOf(disable.headers);
      const check = connect(f.storeUrl);
      try {
        const [u] = await check<[{ disabled: boolean }]>`select disabled_at is not null as disabled from console.users where email = 'signed-in@fleet.example'`;
        assert(disable.status === 200 && u.disabled, `disabling the user on ${name(disabledOn)} answered ${disable.status}; disabled: ${u.disabled}`);
      } finally {
        await check.end({ timeout: 2 });
      }
      const t0 = Date.now();
      // Actions read the user at the moment of use: refused at once, on every instance.
      const refusedActions = new Set<number>();
      for (let i = 0; i < INSTANCES; i++) {
        const a = await f.client.call<ActionState>(RECOVERY, "previewResetCircuitAction", [{}], victim);
        assert(
          a.value?.ok === false && a.value.code?.startsWith("auth."),
          `the disabled user's preview on ${name(f.instanceOf(a.headers))} answered ${outcomeOf(a)}`,
        );
        refusedActions.add(f.instanceOf(a.headers));
      }
      // Reads: within the session re-check, on every instance (each had read this session above).
      const refusedReads = new Set<number>();
      await until(
        "every instance to refuse the disabled user's reads",
        async () => {
          const r = await get(f, "/api/health", { cookie: victim });
          if (r.status === 200) refusedReads.delete(r.instance);
          else refusedReads.add(r.instance);
          return refusedReads.size === INSTANCES;
        },
        SESSION_RECHECK_MS + 2000,
        250,
      );
      const readsMs = Date.now() - t0;
      log(
        `user disabled on ${name(disabledOn)}: its actions refused at once on ${[...refusedActions].map(name).join(", ")}; its reads refused by every instance after ${(readsMs / 1000).toFixed(1)} s (bound ${SESSION_RECHECK_MS / 1000} s)`,
      );

      // ── The sign-in throttle counts failures on every instance ──
      const failedOn: number[] = [];
      for (let n = 1; n <= LOGIN_MAX_FAILURES; n++) {
        // A different account each time (the per-client limit), each with a forged X-Forwarded-For.
        const r = await signIn(f, `nobody-${n}@fleet.example`, "wrong password, on purpose", `198.51.100.${n}`);
        assert(r.status === 302 && !r.session, `failed sign-in ${n} answered ${r.status}`);
        failedOn.push(r.callbackFrom);
      }
      assert(new Set(failedOn).size > 1, `every failed sign-in landed on ${name(failedOn[0]!)}`);
      const throttled = await signIn(f, "second-oncall@fleet.example", "any password at all", "198.51.100.99");
      assert(
        throttled.status === 429 && Number(throttled.retryAfter) > 0,
        `after ${LOGIN_MAX_FAILURES} failures on ${failedOn.map(name).join(", ")}, sign-in on ${name(throttled.callbackFrom)} answered ${throttled.status}`,
      );
      log(
        `${LOGIN_MAX_FAILURES} failed sign-ins on ${failedOn.map(name).join(", ")} (each with a forged X-Forwarded-For): the next, on ${name(throttled.callbackFrom)}, 429 (Retry-After ${throttled.retryAfter} s)`,
      );

      // ── Incident leadership: exactly one; kill it, another within one interval ──
      const all = f.nodes.map((_, i) => i);
      const { i: leader } = await until(
        "exactly one instance to lead incident evaluation",
        async () => {
          const l = await leaders(f, all);
          // An object: instance 0 is a falsy number.
          return l.length === 1 ? { i: l[0]! } : null;
        },
        10_000,
        100,
      );
      const intervalMs = Number(THRESHOLDS.HEALTH_REFRESH_SECONDS) * 1000;
      const dead = f.nodes[leader]!;
      dead.child.kill("SIGKILL");
      const killedAt = Date.now();
      const alive = all.filter((i) => i !== leader);
      let both: number[] | null = null;
      const { i: next } = await until(
        "another instance to lead",
        async () => {
          const l = await leaders(f, alive);
          if (l.length > 1) both = l;
          return l.length === 1 ? { i: l[0]! } : null;
        },
        intervalMs + LEADER_SLACK_MS,
        100,
      );
      const movedMs = Date.now() - killedAt;
      assert(!both, `two instances led at once: ${(both ?? []).map(name).join(", ")}`);
      // The load balancer keeps serving from the survivors.
      for (let i = 0; i < INSTANCES; i++) {
        const r = await get(f, "/api/health", { authorization: `Bearer ${f.apiToken}` });
        assert(r.status === 200 && r.instance !== leader, `with ${name(leader)} dead, /api/health answered ${r.status} from ${name(r.instance)}`);
      }
      assert((await leaders(f, alive)).length === 1, "not exactly one leader among the survivors");
      log(
        `${name(leader)} led; SIGKILLed, ${name(next)} led ${movedMs} ms later (bound ${intervalMs} ms + ${LEADER_SLACK_MS} ms); nginx serves from the survivors`,
      );
    } catch (err) {
      // drills/run.ts shows the world's console log; the fleet's own logs are the ones that tell.
      for (const [i, n] of f.nodes.entries()) log(`instance ${name(i)} (port ${n.port}), last lines:\n${tail(path.join(world.dir, `fleet-${i + 1}.log`))}`);
      log(`nginx error.log:\n${tail(path.join(f.lb.dir, "error.log"))}`);
      throw err;
    } finally {
      await f.close();
      await settleDirectives(world);
    }
  },
};
