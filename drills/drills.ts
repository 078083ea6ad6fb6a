/**
 * The game-day drills (issue 8). Each sets its failure up for real, checks what an on-call would
 * see and do, and puts the world back as it found it. A drill throws (with the reason) when the
 * console does not behave; drills/run.ts prints PASS or FAIL for each.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { runScript, type ScriptResult } from "../scripts/lib/run-script.ts";
import postgres from "postgres";
import type { CheckId } from "../lib/recovery/health/checks/index.ts";
import { confirmRequest, ensureUser, preview, type ActionState } from "../tests/support/harness/console.ts";
import { fillConnections, isTooManyConnections } from "../tests/support/harness/sessions.ts";
import { fleet } from "./fleet.ts";
import { HOSTILE_AUDIT_BOUND, HOSTILE_REQUESTS, runHostile } from "./hostile-input.ts";
import { toAuditRecord } from "../lib/db/audit-columns.ts";
import { hashEntry } from "../lib/recovery/audit/hash.ts";
import { traces } from "./traces.ts";
import {
  anchorFile,
  auditHead,
  auditRows,
  check,
  health,
  insertStale,
  page,
  panelStatus,
  settleDirectives,
  statuses,
  THRESHOLDS,
  until,
  type DrillWorld,
} from "./world.ts";

export type Drill = { name: string; fast: boolean; what: string; run(world: DrillWorld, log: (line: string) => void): Promise<void> };

/** The checks that read only the trading database (the others also read the console store or HTTP). */
const DB_CHECKS: CheckId[] = ["signals_recent", "directives_stale_pending", "executions_failed", "db_connections", "idle_transactions"];

function assert(cond: unknown, why: string): asserts cond {
  if (!cond) throw new Error(why);
}

async function beat(world: DrillWorld): Promise<void> {
  const res = await fetch(`${world.app.url}/api/heartbeat`, {
    method: "POST",
    headers: { authorization: `Bearer ${world.heartbeatToken}`, "content-type": "application/json" },
    body: JSON.stringify({ instance: "ea-primary", role: "primary", version: "drill" }),
  });
  assert(res.ok, `the EA heartbeat was refused (${res.status})`);
}

const poolExhausted: Drill = {
  name: "pool-exhausted",
  fast: true,
  what: "other clients hold every connection slot they may; the console still answers and clears them",
  async run(world, log) {
    const admin = world.tradingAdmin();
    let hogs: Awaited<ReturnType<typeof fillConnections>> | null = null;
    try {
      const [s] = await admin<[{ max: number; reserved: number; su: number }]>`
        select current_setting('max_connections')::int as max, current_setting('reserved_connections')::int as reserved,
               current_setting('superuser_reserved_connections')::int as su`;
      assert(s.reserved >= 8, `the trading server reserves ${s.reserved} slots; the console needs 8`);
      hogs = await fillConnections(world.trading.appUrl, "distortsignals-api");
      log(`${hogs.pids.length} application sessions hold every ordinary slot (max_connections ${s.max}, ${s.reserved} reserved, ${s.su} for superusers)`);
      // Proof that the server is full for everyone but the reserved roles.
      const probe = postgres(world.trading.appUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
      const refused = await probe`select 1`.then(
        () => null,
        (err: unknown) => err,
      );
      await probe.end({ timeout: 1 });
      assert(isTooManyConnections(refused), `an ordinary client could still connect: ${String(refused)}`);
      // The console must come in through the reserved slots: drop the connections it already had.
      // Its snapshot may have been taken while the slots were filling (warn), so the dashboard
      // must show critical within two refresh intervals, each answer a 200 well under 3 s.
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'recovery-console'`;
      const cookie = await world.cookie(world.oncall);
      const refreshMs = Number(THRESHOLDS.HEALTH_REFRESH_SECONDS) * 1000;
      const dash = await until(
        "the dashboard to show db_connections critical",
        async () => {
          const d = await page(world, "/", cookie);
          assert(d.status === 200, `the dashboard answered ${d.status}`);
          assert(d.ms < 3000, `the dashboard took ${Math.round(d.ms)} ms (limit 3000)`);
          if (panelStatus(d.html, "db_connections") !== "critical") throw new Error(`db_connections shows ${panelStatus(d.html, "db_connections")}`);
          return d;
        },
        2 * refreshMs + 1000,
        200,
      );
      log(`dashboard rendered in ${Math.round(dash.ms)} ms, db_connections critical`);

      // The runbook's step 2, from the console: kill the idle transactions.
      const p = await until(
        "the preview to list every application session",
        async () => {
          const x = await preview(world.client, "KillIdleTransactions", await world.cookie(world.oncall));
          return x.count === hogs!.pids.length ? x : null;
        },
        10_000,
        300,
      );
      const answer = await world.client.send<ActionState>(await confirmRequest(world.client, "KillIdleTransactions", p, await world.cookie(world.oncall)));
      const r = answer.value;
      assert(r?.ok && r.result?.run?.outcome === "succeeded", `Kill idle transactions: ${r?.message ?? answer.text.slice(0, 200)}`);
      const terminated = (r.result?.run?.perTarget ?? []).filter((t) => t.outcome === "terminated").length;
      assert(terminated === hogs.pids.length, `${terminated} of ${hogs.pids.length} sessions terminated`);
      log(`Kill idle transactions terminated ${terminated} sessions in ${Math.round(answer.ms)} ms`);
      await until(
        "the slots to be free again",
        async () => {
          const c = postgres(world.trading.appUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
          try {
            return (await c`select 1 as ok`)[0]?.ok === 1;
          } finally {
            await c.end({ timeout: 1 });
          }
        },
        5000,
        200,
      );
    } finally {
      await hogs?.close();
      await admin.end({ timeout: 2 });
    }
  },
};

const tradingDbDown: Drill = {
  name: "trading-db-down",
  fast: true,
  what: "the trading DB stops; the page renders with its checks unknown, the rest works, and it all comes back",
  async run(world, log) {
    await beat(world);
    await world.trading.pg.stop();
    try {
      // An evaluation in flight as the server stops may end at its deadline (check.timeout); the
      // state once it is down is what on-call reads: every DB check unknown, saying the DB is unavailable.
      let seen = "";
      const down = await until(
        "the DB checks to turn unknown with db.* error codes",
        async () => {
          const { body } = await health(world);
          seen = DB_CHECKS.map((id) => `${id} ${check(body, id).status} ${check(body, id).error?.code ?? ""}`).join(", ");
          return DB_CHECKS.every((id) => check(body, id).status === "unknown" && check(body, id).error?.code?.startsWith("db.")) ? body : null;
        },
        10_000,
        250,
      ).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; last seen: ${seen}`);
      });
      const codes = DB_CHECKS.map((id) => check(down, id).error?.code);
      // The HTTP probes and the heartbeats do not depend on the trading DB.
      for (const id of ["circuit_breaker", "worker_rate_limit"])
        assert(check(down, id).status === "ok", `${id} is ${check(down, id).status} while the trading DB is down`);
      await beat(world);
      const ea = check((await health(world)).body, "ea_heartbeat");
      assert(ea.status === "ok", `ea_heartbeat is ${ea.status} (${ea.summary}) while only the trading DB is down`);
      const dash = await page(world, "/", await world.cookie(world.viewer));
      assert(dash.status === 200 && dash.ms < 3000, `the dashboard answered ${dash.status} in ${Math.round(dash.ms)} ms`);
      assert(panelStatus(dash.html, "signals_recent") === "unknown", "the signals panel does not show unknown");
      log(`checks unknown (${codes[0]}), HTTP checks and heartbeats fine, dashboard in ${Math.round(dash.ms)} ms`);
    } finally {
      await world.restartTrading();
    }
    const t0 = Date.now();
    await until(
      "the DB checks to recover without a restart",
      async () => {
        const { body } = await health(world);
        return DB_CHECKS.every((id) => check(body, id).status !== "unknown");
      },
      15_000,
      250,
    );
    log(`recovered ${Date.now() - t0} ms after the database came back`);
  },
};

const tradeDirectorHung: Drill = {
  name: "trade-director-hung",
  fast: true,
  what: "the trade director accepts requests and never answers; the circuit check and the reset time out cleanly",
  async run(world, log) {
    world.director.open();
    const cookie = await world.cookie(world.oncall);
    const p = await preview(world.client, "ResetCircuit", cookie);
    world.director.mode = "hang";
    try {
      const t0 = Date.now();
      await until(
        "circuit_breaker to turn unknown with td.timeout",
        async () => {
          const c = check((await health(world)).body, "circuit_breaker");
          return c.status === "unknown" && c.error?.code === "td.timeout";
        },
        5000,
        100,
      );
      log(`circuit_breaker unknown (td.timeout) after ${Date.now() - t0} ms`);
      const dash = await page(world, "/", cookie);
      assert(dash.status === 200 && dash.ms < 2500, `the dashboard answered ${dash.status} in ${Math.round(dash.ms)} ms while the director hangs`);
      const head = await auditHead(world);
      const req = await confirmRequest(world.client, "ResetCircuit", p, cookie);
      const answer = await world.client.send<ActionState>(req, { timeoutMs: 15_000 });
      assert(
        answer.value?.result?.run?.outcome === "timeout_unknown",
        `the reset ended as ${answer.value?.result?.run?.outcome ?? answer.value?.code}: ${answer.value?.message}`,
      );
      assert(answer.ms < 6000, `the reset took ${Math.round(answer.ms)} ms`);
      const entries = (await auditRows(world, { afterSeq: head })).filter((e) => e.action === "circuit.reset");
      const intent = entries.find((e) => e.phase === "intent");
      const outcome = entries.find((e) => e.phase === "outcome");
      assert(intent && intent.outcome === "pending", "no intent entry for the reset");
      assert(outcome && outcome.outcome === "timeout_unknown" && outcome.intent_seq === intent.seq, `the outcome entry is ${outcome?.outcome ?? "missing"}`);
      log(`reset: timeout_unknown in ${Math.round(answer.ms)} ms, audited as intent ${intent.seq} → outcome ${outcome.seq}`);
    } finally {
      world.director.mode = "normal";
      world.director.closeCircuit();
    }
  },
};

const worker429Storm: Drill = {
  name: "worker-429-storm",
  fast: false,
  what: "the worker answers 429 with Retry-After; the probe waits as it is told",
  async run(world, log) {
    const retryAfter = 4;
    const windowMs = 13_000;
    const start = Date.now();
    world.worker.rateLimit(retryAfter);
    try {
      await until(
        "worker_rate_limit to turn critical",
        async () => {
          const c = check((await health(world)).body, "worker_rate_limit");
          return c.status === "critical" && /Retry-After 4 s/.test(c.summary);
        },
        5000,
        200,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, windowMs - (Date.now() - start))));
      const during = world.worker.requests.filter((t) => t >= start && t < start + windowMs);
      const gaps = during.slice(1).map((t, i) => t - during[i]!);
      // Probed every second without the header: ~13 requests. With it: one, then one per Retry-After.
      const most = 1 + Math.ceil(windowMs / (retryAfter * 1000));
      assert(during.length >= 2, `only ${during.length} probe in ${windowMs / 1000} s: the probe stopped altogether`);
      assert(during.length <= most, `${during.length} probes in ${windowMs / 1000} s (at most ${most} with Retry-After ${retryAfter} s)`);
      assert(
        gaps.every((g) => g >= retryAfter * 1000 - 50),
        `a probe came ${Math.min(...gaps)} ms after a 429 asking for ${retryAfter} s`,
      );
      log(`${during.length} probes in ${windowMs / 1000} s, ${gaps.map((g) => `${(g / 1000).toFixed(1)} s`).join(", ")} apart`);
    } finally {
      world.worker.heal();
    }
    await until(
      "worker_rate_limit to leave critical once the worker recovers",
      async () => check((await health(world)).body, "worker_rate_limit").status !== "critical",
      retryAfter * 1000 + 5000,
      250,
    );
  },
};

const consoleKilledMidAction: Drill = {
  name: "console-killed-mid-action",
  fast: true,
  what: "the console is SIGKILLed between an action's intent and its effect; after a restart the audit says so, and the chain holds",
  async run(world, log) {
    world.director.open();
    const cookie = await world.cookie(world.oncall);
    const p = await preview(world.client, "ResetCircuit", cookie);
    const head = await auditHead(world);
    world.director.mode = "hang";
    const req = await confirmRequest(world.client, "ResetCircuit", p, cookie);
    const requestId = req.headers["X-Request-Id"]!;
    const inFlight = world.client.send(req, { timeoutMs: 30_000 }).catch(() => null);
    try {
      const intent = await until(
        "the intent entry, then the reset request in flight",
        async () => {
          const i = (await auditRows(world, { afterSeq: head, requestId })).find((e) => e.phase === "intent" && e.action === "circuit.reset");
          const sent = world.director.requests.some((r) => r.path === "/admin/reset-circuit" && r.headers["x-request-id"] === requestId);
          return i && sent ? i : null;
        },
        10_000,
        50,
      );
      const pid = world.app.child.pid;
      world.app.child.kill("SIGKILL");
      await until("the console process to die", async () => world.app.child.exitCode !== null || world.app.child.signalCode !== null, 5000, 50);
      log(`SIGKILLed the console (pid ${pid}) with intent ${intent.seq} written and the reset in flight`);
      await inFlight;
      world.director.mode = "normal";
      await world.relaunch();
      const rows = await auditRows(world, { afterSeq: head, requestId });
      assert(!rows.some((e) => e.phase === "outcome"), "an outcome entry exists for the killed request");
      const audit = await page(world, `/audit?outcome=unknown`, await world.cookie(world.oncall));
      assert(audit.status === 200, `/audit answered ${audit.status}`);
      const row = new RegExp(`data-testid="audit-row" data-seq="${intent.seq}"[\\s\\S]*?</tr>`).exec(audit.html)?.[0];
      assert(row, `intent ${intent.seq} is not listed under "outcome unknown"`);
      assert(row.includes('data-testid="outcome-unknown"'), `intent ${intent.seq} is not flagged "outcome unknown"`);
      const verify = await auditVerify(world);
      assert(verify.code === 0 && /^OK: \d+ entries/m.test(verify.stdout), `audit:verify: ${verify.stdout.trim()} ${verify.stderr.trim()}`);
      const entries = Number(/^OK: (\d+) entries/m.exec(verify.stdout)![1]);
      assert(entries >= intent.seq, `the chain has ${entries} entries, fewer than the intent's seq ${intent.seq}`);
      log(`after the restart: intent ${intent.seq} shows "outcome unknown"; ${verify.stdout.trim()}`);
    } finally {
      world.director.mode = "normal";
      world.director.closeCircuit();
    }
  },
};

/** `npm run audit:verify` against the drill's store, as an auditor runs it. */
function auditVerify(world: DrillWorld): Promise<ScriptResult> {
  return runScript("scripts/audit-verify.ts", [], { env: { ...process.env, ...world.app.env, NODE_ENV: "production" } });
}

const auditStoreDown: Drill = {
  name: "audit-store-down",
  fast: true,
  what: "the console store (the audit log) stops; actions are refused with a clear message, the panels still show",
  async run(world, log) {
    await settleDirectives(world);
    const ids = await insertStale(world, 2);
    const cookie = await world.cookie(world.oncall);
    const p = await preview(world.client, "CancelStaleDirectives", cookie);
    await world.store.pg.stop();
    try {
      const answer = await world.client.send<ActionState>(await confirmRequest(world.client, "CancelStaleDirectives", p, cookie));
      assert(answer.value?.ok === false && answer.value.code === "store.unavailable", `the action answered ${answer.value?.code}: ${answer.value?.message}`);
      assert(/nothing was done/i.test(answer.value.message ?? ""), `the refusal does not say that nothing was done: ${answer.value.message}`);
      const after = await statuses(world, ids);
      assert(
        ids.every((id) => after[id] === "pending"),
        `directives changed while the audit store was down: ${JSON.stringify(after)}`,
      );
      const again = await world.client.call<ActionState>("app/actions/recovery.ts", "previewCancelStaleDirectivesAction", [{}], cookie);
      assert(again.value?.ok === false, "a preview succeeded with the audit store down");
      // The panels keep working without the store: the stale rows show up at the next evaluation
      // (the snapshot may predate the insert by up to one refresh interval).
      const dash = await until(
        "the stale directives panel to turn critical with the store down",
        async () => {
          const d = await page(world, "/", cookie);
          assert(d.status === 200 && d.ms < 3000, `the dashboard answered ${d.status} in ${Math.round(d.ms)} ms`);
          return panelStatus(d.html, "directives_stale_pending") === "critical" ? d : null;
        },
        15_000,
        250,
      );
      log(`refused ("${answer.value.message?.slice(0, 70)}…"), nothing changed, dashboard in ${Math.round(dash.ms)} ms with the panels`);
    } finally {
      await world.restartStore();
    }
    await until(
      "actions to work again once the store is back",
      async () =>
        (await world.client.call<ActionState>("app/actions/recovery.ts", "previewCancelStaleDirectivesAction", [{}], await world.cookie(world.oncall))).value
          ?.ok === true,
      10_000,
      250,
    );
    await settleDirectives(world);
  },
};

const rowLockHeld: Drill = {
  name: "row-lock-held",
  fast: true,
  what: "another transaction holds a stale directive's row lock; cancel skips it at once and says so",
  async run(world, log) {
    await settleDirectives(world);
    const ids = await insertStale(world, 3);
    const cookie = await world.cookie(world.oncall);
    const p = await preview(world.client, "CancelStaleDirectives", cookie);
    assert(p.count === 3, `the preview lists ${p.count} directives, expected 3`);
    const locker = postgres(world.trading.appUrl, { max: 1, onnotice: () => {}, connection: { application_name: "distortsignals-director" } });
    const held = await locker.reserve();
    try {
      await held`begin`;
      await held`select id from trade_directives where id = ${ids[1]!} for update`;
      const answer = await world.client.send<ActionState>(await confirmRequest(world.client, "CancelStaleDirectives", p, cookie));
      const r = answer.value?.result?.run;
      const by = Object.fromEntries((r?.perTarget ?? []).map((t) => [t.target, t.outcome]));
      assert(r?.outcome === "partial", `the cancel ended as ${r?.outcome}: ${answer.value?.message}`);
      assert(by[ids[1]!] === "skipped_locked", `the locked directive is reported ${by[ids[1]!]}`);
      assert(by[ids[0]!] === "cancelled" && by[ids[2]!] === "cancelled", `the others are ${by[ids[0]!]} and ${by[ids[2]!]}`);
      // It never waits for the lock: well within the lock timeout (2 s).
      assert(answer.ms < 2000, `the cancel took ${Math.round(answer.ms)} ms`);
      const now = await statuses(world, ids);
      assert(now[ids[1]!] === "pending", "the locked directive changed");
      log(`partial in ${Math.round(answer.ms)} ms: ${ids[1]} skipped (locked), the other two cancelled; message: ${answer.value?.message}`);
    } finally {
      await held`rollback`.catch(() => {});
      held.release();
      await locker.end({ timeout: 1 });
      await settleDirectives(world);
    }
  },
};

const viewerReplay: Drill = {
  name: "viewer-replay",
  fast: true,
  what: "a viewer replays an on-call's captured action request; it is refused, changes nothing, and is audited",
  async run(world, log) {
    await settleDirectives(world);
    const ids = await insertStale(world, 2);
    const oncallCookie = await world.cookie(world.oncall);
    const viewerCookie = await world.cookie(world.viewer);
    const p = await preview(world.client, "CancelStaleDirectives", oncallCookie);
    // What the on-call's browser sends, as a HAR file or a proxy log would hold it.
    const captured = await confirmRequest(world.client, "CancelStaleDirectives", p, oncallCookie);
    const head = await auditHead(world);
    const replay = async () => {
      const a = await world.client.send<ActionState>(captured, { cookie: viewerCookie });
      assert(
        a.status === 200 && a.value?.ok === false && a.value.code === "auth.forbidden",
        `the replay answered ${a.status} ${a.value?.code}: ${a.value?.message}`,
      );
      const now = await statuses(world, ids);
      return now;
    };
    const before = await replay();
    assert(
      ids.every((id) => before[id] === "pending"),
      `the replay changed directives: ${JSON.stringify(before)}`,
    );
    // The same request from the on-call's own session does cancel them: the capture was real.
    const own = await world.client.send<ActionState>(captured);
    assert(own.value?.ok === true && own.value.result?.run?.outcome === "succeeded", `the on-call's own request failed: ${own.value?.message}`);
    const denied = (await auditRows(world, { afterSeq: head })).filter((e) => e.outcome === "denied" && e.actor_email === world.viewer.email);
    assert(denied.length === 1 && denied[0]!.action === "directives.cancel_stale", `audited denials: ${JSON.stringify(denied.map((d) => d.action))}`);
    const effects = (await auditRows(world, { afterSeq: head })).filter((e) => e.actor_email === world.viewer.email && e.outcome !== "denied");
    assert(effects.length === 0, `the viewer has other entries: ${JSON.stringify(effects.map((e) => e.outcome))}`);
    log(`replay refused (auth.forbidden), nothing changed, audited as denied (seq ${denied[0]!.seq}); the on-call's own request cancelled both`);
  },
};

const hostileInput: Drill = {
  name: "hostile-input",
  fast: false,
  what: `${HOSTILE_REQUESTS} randomized hostile sign-ins, server-action calls and API requests (invalid Unicode, NUL, 1 MB bodies, wrong types): no 500s, the chain verifies, the audit log grows within its bound`,
  async run(world, log) {
    const seed = Number(process.env.HOSTILE_SEED) || Math.floor(Math.random() * 2 ** 31);
    log(`seed ${seed} (HOSTILE_SEED=${seed} replays this run)`);
    const head = await auditHead(world);
    const sent = await runHostile(world, { seed, count: HOSTILE_REQUESTS, log });
    const errors = sent.filter((s) => s.status >= 500 || s.status === 0);
    const byStatus = Object.entries(sent.reduce<Record<number, number>>((m, s) => ((m[s.status] = (m[s.status] ?? 0) + 1), m), {}));
    log(`statuses: ${byStatus.map(([s, n]) => `${s}×${n}`).join(", ")}`);
    const kinds = [...new Set(errors.map((e) => `${e.status} ${e.what}`))];
    assert(errors.length === 0, `${errors.length} server errors (or no answer): ${kinds.slice(0, 12).join("; ")}`);
    const grew = (await auditHead(world)) - head;
    assert(grew <= HOSTILE_AUDIT_BOUND, `the audit log grew by ${grew} entries, above the bound of ${HOSTILE_AUDIT_BOUND}`);
    const verify = await auditVerify(world);
    assert(
      verify.code === 0 && /^OK: \d+ entries/m.test(verify.stdout),
      `audit:verify after the hostile requests: ${verify.stdout.trim()} ${verify.stderr.trim()}`,
    );
    log(`${sent.length} hostile requests, 0 server errors; the audit log grew by ${grew} (bound ${HOSTILE_AUDIT_BOUND}); ${verify.stdout.trim()}`);
  },
};

/** The automation-storm drill's policy: reset the circuit after 2 s open, at most twice per incident. */
const STORM_POLICY = `policies:
  - name: drill-reset-circuit
    check: circuit_breaker
    when: { critical_for_seconds: 2 }
    action: circuit.reset
    limits: { max_runs_per_incident: 2, min_seconds_between_runs: 1, max_targets: 1 }
    mode: on
`;
const STORM_MAX_RUNS = 2;

/** A local webhook receiver: every notification's JSON body, in order. */
type Hooked = { event: string; text: string; automation?: string; incident: { id: number } };

async function webhookReceiver(): Promise<{ url: string; bodies: Hooked[]; close(): Promise<void> }> {
  const bodies: Hooked[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      try {
        bodies.push(JSON.parse(raw));
      } catch {
        /* not JSON: not ours */
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

const automationStorm: Drill = {
  name: "automation-storm",
  fast: false,
  what: "the circuit re-opens after every automated reset; automation stops after its most runs with exactly that many intent/outcome pairs, and escalation goes on saying what it tried",
  async run(world, log) {
    const policyFile = path.join(world.dir, "automation-storm.yaml");
    fs.writeFileSync(policyFile, STORM_POLICY);
    const hook = await webhookReceiver();
    // The console again, with the policy, a short escalation clock and the receiver.
    await world.app.stop();
    await world.relaunch({
      AUTOMATION_FILE: policyFile,
      ESCALATION_L2_MINUTES: "0.5",
      ESCALATION_L3_MINUTES: "5",
      INCIDENT_WEBHOOK_URLS: hook.url,
      INCIDENT_WEBHOOK_BACKOFF_MS: "100",
    });
    const resetsBefore = world.director.resetCount;
    const head = await auditHead(world);
    // The storm: whatever closes the circuit, it opens again at once.
    let storming = true;
    const reopen = setInterval(() => {
      if (storming && world.director.state !== "open") world.director.open();
    }, 20);
    try {
      world.director.open();
      const store = world.storeAdmin();
      try {
        type RunRow = { state: string; outcome: string | null; incident_id: string };
        const runs = () => store<RunRow[]>`select state, outcome, incident_id::text from console.automation_runs order by id`;
        const stopped = await until(
          "automation to stop after its most runs",
          async () => ((await runs()).some((r) => r.state === "exhausted") ? runs() : null),
          60_000,
          250,
        );
        log(
          `automation ran ${stopped.filter((r) => r.state === "ran").length} times, then stopped: ${stopped.map((r) => `${r.state}${r.outcome ? ` (${r.outcome})` : ""}`).join(", ")}`,
        );
        // It stays stopped while the storm goes on: no run past the limit, however long we wait.
        await new Promise((r) => setTimeout(r, 12_000));
        const after = await runs();
        assert(
          after.filter((r) => r.state === "ran").length === STORM_MAX_RUNS,
          `automation ran ${after.filter((r) => r.state === "ran").length} times, not ${STORM_MAX_RUNS}: ${JSON.stringify(after)}`,
        );
        assert(after.filter((r) => r.state === "exhausted").length === 1, `the stop was recorded ${after.filter((r) => r.state === "exhausted").length} times`);
        const resets = world.director.resetCount - resetsBefore;
        assert(resets === STORM_MAX_RUNS, `the director saw ${resets} resets, not ${STORM_MAX_RUNS}`);
        const entries = (await auditRows(world, { afterSeq: head })).filter((e) => e.action === "circuit.reset" && e.actor_email === "automation");
        const intents = entries.filter((e) => e.phase === "intent");
        const outcomes = entries.filter((e) => e.phase === "outcome");
        assert(
          intents.length === STORM_MAX_RUNS && outcomes.length === STORM_MAX_RUNS,
          `${intents.length} intents and ${outcomes.length} outcomes by automation, not ${STORM_MAX_RUNS} pairs`,
        );
        assert(
          intents.every((i) => outcomes.some((o) => o.intent_seq === i.seq)),
          "an automated intent has no outcome",
        );
        log(
          `${intents.length} intent/outcome pairs by "automation": ${intents.map((i) => `#${i.seq}→#${outcomes.find((o) => o.intent_seq === i.seq)!.seq}`).join(", ")}`,
        );
        const incidentId = Number(after[0]!.incident_id);
        // Escalation goes on: L2 on time, saying what automation tried.
        // (The drill world has other incidents open, signals among them: this one's.)
        const escalated = await until(
          "the L2 notification",
          async () => hook.bodies.find((b) => b.event === "escalated" && b.incident.id === incidentId) ?? null,
          45_000,
          250,
        );
        assert(/Automation tried 2 times/.test(escalated.text), `the L2 notification does not say what automation tried: ${escalated.text}`);
        const [inc] = await store<[{ level: number }]>`select level from console.incidents where id = ${incidentId}`;
        assert(inc.level >= 2, `the incident is at level ${inc.level}`);
        const told = hook.bodies.filter((b) => b.event === "automation" && b.incident.id === incidentId);
        assert(told.length === STORM_MAX_RUNS + 1, `${told.length} automation notifications, not ${STORM_MAX_RUNS + 1} (each run and the stop)`);
        assert(
          told.slice(0, STORM_MAX_RUNS).every((b) => /did not recover|recovered/.test(b.text)),
          `a run's notification does not say whether the check recovered: ${told.map((b) => b.text).join(" | ")}`,
        );
        const timeline = await store`select 1 from console.incident_events where incident_id = ${incidentId} and kind = 'automation'`;
        assert(timeline.length === STORM_MAX_RUNS + 1, `${timeline.length} automation entries on the incident timeline`);
        log(`L2 notification: "${escalated.text}"`);
      } finally {
        await store.end({ timeout: 2 });
      }
    } finally {
      storming = false;
      clearInterval(reopen);
      world.director.closeCircuit();
      await hook.close();
      await world.app.stop();
      await world.relaunch({
        AUTOMATION_FILE: undefined,
        ESCALATION_L2_MINUTES: undefined,
        ESCALATION_L3_MINUTES: undefined,
        INCIDENT_WEBHOOK_URLS: undefined,
        INCIDENT_WEBHOOK_BACKOFF_MS: undefined,
      });
    }
  },
};

type AnchoringHealth = { refused: boolean; reason: string | null; refusals: number; lastAnchor: { seq: number } | null };

async function anchoringHealth(world: DrillWorld): Promise<AnchoringHealth> {
  return ((await health(world)).body as unknown as { auditAnchoring: AnchoringHealth }).auditAnchoring;
}

/** The anchors in the console's anchor file. */
function anchorsIn(world: DrillWorld): { seq: number; hash: string }[] {
  const file = anchorFile(world);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { seq: number; hash: string });
}

/**
 * As the store's owner, with the append-only trigger disabled and the chain's lock held (so the
 * console's writers wait), set entry `seq`'s reason and recompute every later hash, up to the head.
 * Returns what entry `seq` held before.
 */
async function rewriteChainFrom(world: DrillWorld, seq: number, reason: (old: string | null) => string | null): Promise<string | null> {
  const sql = world.storeAdmin();
  try {
    return await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('recovery-console:audit-chain'))`;
      await tx`alter table console.audit_log disable trigger audit_log_no_update_delete`;
      const rows = (await tx<Record<string, unknown>[]>`select * from console.audit_log where seq >= ${seq} order by seq`).map(toAuditRecord);
      const [before] = await tx<{ hash: string }[]>`select hash from console.audit_log where seq = ${seq - 1}`;
      let prev = before?.hash ?? "0".repeat(64);
      const old = rows[0]?.reason ?? null;
      for (const r of rows) {
        const changed = r.seq === seq ? { ...r, reason: reason(r.reason) } : r;
        const hash = hashEntry(prev, changed);
        await tx`update console.audit_log set reason = ${changed.reason}, prev_hash = ${prev}, hash = ${hash} where seq = ${r.seq}`;
        prev = hash;
      }
      await tx`alter table console.audit_log enable trigger audit_log_no_update_delete`;
      return old;
    });
  } finally {
    await sql.end({ timeout: 2 });
  }
}

const rewriteBeforeAnchor: Drill = {
  name: "rewrite-before-anchor",
  fast: true,
  what: "the store's owner rewrites an entry older than the newest anchor and recomputes every later hash; the next anchor is refused and audit:verify names the entry",
  async run(world, log) {
    const store = world.storeAdmin();
    const auditor = await ensureUser(store, "auditor@drills.example", "auditor").finally(() => store.end({ timeout: 2 }));
    const cookie = await world.cookie(auditor);
    // Entries: each export writes two (its intent and its outcome); the periodic anchorer
    // anchors the head every 2 s. Two exports, two anchors of different entries.
    const exportNow = async () => {
      const res = await fetch(`${world.app.url}/api/audit/export?format=csv&action=none.such`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
      await res.text();
      assert(res.ok, `the export answered ${res.status}`);
      const head = await auditHead(world);
      await until(`an anchor of entry ${head} or later`, async () => anchorsIn(world).some((a) => a.seq >= head), 15_000, 200);
    };
    await exportNow();
    await exportNow();
    const anchors = [...new Set(anchorsIn(world).map((a) => a.seq))].sort((a, b) => a - b);
    const newest = anchors.at(-1)!;
    // The oldest anchored entry after the first: rewriting entry 1 itself changes the chain's id, and
    // verification names it differently ("differs from the chain its anchors name"). An anchor of
    // entry 1 alone happens when the anchorer ticks before the first export.
    const target = anchors.find((seq) => seq > 1)!;
    assert(target < newest, `no anchored entry older than the newest anchor (${anchors.join(", ")})`);
    const healthy = await anchoringHealth(world);
    assert(!healthy.refused, `the anchorer refuses before the rewrite: ${healthy.reason}`);

    const original = await rewriteChainFrom(world, target, () => "rewritten by the store's owner");
    log(`entry ${target} rewritten (anchors at ${anchors.join(", ")}), every later hash recomputed`);
    try {
      const first = await until(
        "/api/health to show the anchorer refusing",
        async () => ((await anchoringHealth(world)).refused ? anchoringHealth(world) : null),
        15_000,
        200,
      );
      // From the first refusal on, no tick anchors anything.
      const lines = anchorsIn(world).length;
      const refused = await until(
        "the anchorer's next refusal",
        async () => {
          const a = await anchoringHealth(world);
          return a.refused && a.refusals > first.refusals ? a : null;
        },
        15_000,
        200,
      );
      assert(anchorsIn(world).length === lines, `an anchor was recorded while the chain does not verify (${anchorsIn(world).length - lines} new lines)`);
      assert(/does not verify/.test(refused.reason ?? ""), `the refusal's reason: ${refused.reason}`);
      const metrics = await fetch(`${world.app.url}/api/metrics`, {
        headers: { authorization: `Bearer ${world.app.apiToken}` },
        signal: AbortSignal.timeout(10_000),
      }).then((r) => r.text());
      assert(/^recovery_console_audit_anchoring_refused 1$/m.test(metrics), "the metric recovery_console_audit_anchoring_refused is not 1");
      const refusals = Number(/^recovery_console_audit_anchor_refusals_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
      assert(refusals >= 2, `recovery_console_audit_anchor_refusals_total is ${refusals}`);
      const entries = (await auditRows(world, { afterSeq: target })).filter((r) => r.action === "audit.anchor" && r.outcome === "refused");
      assert(entries.length === 1, `${entries.length} audit.anchor refused entries (one expected: a refusal is recorded when it starts, not every tick)`);
      const logged = fs.readFileSync(world.logFile, "utf8");
      assert(/\[audit-anchor\] refusing to anchor/.test(logged), "the console's log does not say that it refused to anchor");

      const verify = await auditVerify(world);
      assert(verify.code === 1, `audit:verify exited ${verify.code}: ${verify.stdout.trim()} ${verify.stderr.trim()}`);
      assert(
        new RegExp(`^BROKEN #${target} modified: entry ${target} differs from its anchor`, "m").test(verify.stdout),
        `audit:verify does not name entry ${target}: ${verify.stdout.trim()}`,
      );
      log(
        `anchoring refused (${refused.refusals} times; "${refused.reason?.slice(0, 80)}…"), in the log, the metric, one audit.anchor entry (#${entries[0]!.seq}); audit:verify: ${verify.stdout.trim().split("\n").at(-1)}`,
      );
      for (const line of verify.stdout.trim().split("\n")) log(`   ${line}`);
    } finally {
      // Put the history back (entries written since are rehashed onto it) and see anchoring resume.
      await rewriteChainFrom(world, target, () => original);
    }
    await until("the anchorer to anchor again once the chain verifies", async () => !(await anchoringHealth(world)).refused, 15_000, 200);
    const verify = await auditVerify(world);
    assert(verify.code === 0, `audit:verify after the history was put back: ${verify.stdout.trim()}`);
    log(`history put back; anchoring resumed; ${verify.stdout.trim()}`);
  },
};

export const drills: Drill[] = [
  poolExhausted,
  tradingDbDown,
  tradeDirectorHung,
  worker429Storm,
  consoleKilledMidAction,
  auditStoreDown,
  rowLockHeld,
  viewerReplay,
  rewriteBeforeAnchor,
  fleet,
  traces,
  hostileInput,
  automationStorm,
];
