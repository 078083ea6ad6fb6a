import "server-only";
/**
 * The background evaluator: started from instrumentation.ts in every Node server process, it
 * evaluates the checks every HEALTH_REFRESH_SECONDS whether or not a browser is open (keeping the
 * shared snapshot fresh), and the one instance that leads does the incident bookkeeping.
 *
 * Leadership is a session-level advisory lock held on a dedicated console-store connection: exactly
 * one process holds it; when the leader dies its session ends, the lock is released, and another
 * instance takes over at its next tick (within one interval).
 *
 * With several instances the leader's evaluation is the fleet's: the health monitor publishes it in
 * the console store and the followers serve it (lib/recovery/health/snapshot.ts), so the trading DB
 * sees one evaluation per interval however many instances run. Each tick tells the monitor whether
 * this instance leads.
 */
import { env } from "../../env.ts";
import { holdConsoleSession, withConsole, type HeldSession, type Sql } from "../../db/client.ts";
import { addIncidentEvent, latestCheckStatuses, listOpenIncidents, toIncident, type IncidentRow } from "../../db/queries/incidents.ts";
import { appendAudit } from "../audit/writer.ts";
import type { CheckResult, CheckStatus } from "../health/checks/types.ts";
import { scenarioByNumber, scenarioForCheck, type Scenario } from "../runbook/model.ts";
import { currentRunbook } from "../runbook/source.ts";
import { policyFrom } from "./escalation.ts";
import { JANITOR_INTERVAL_MS, runJanitor } from "../janitor.ts";
import { healthMonitor } from "../health/snapshot.ts";
import { listAutomationRuns } from "../../db/queries/automation.ts";
import { automationSummary } from "../automation/plan.ts";
import { decide, type Decision } from "./decide.ts";
import { notify, type NotifyEvent } from "./notify.ts";

const LOCK = "recovery-console:incident-evaluator";
const SYSTEM = { id: "system:evaluator", email: "system:evaluator", role: "system" };

export type EvaluatorOptions = {
  intervalMs?: number;
  now?: () => number;
  /** Where the checks come from; the shared snapshot by default. */
  evaluate?: () => Promise<CheckResult[]>;
  log?: (line: string) => void;
  /** The leader's periodic purge of expiring rows (lib/recovery/janitor.ts). */
  janitor?: () => Promise<unknown>;
  janitorIntervalMs?: number;
  /** The leader's automation pass after each evaluation (lib/recovery/automation/loop.ts). */
  automate?: (checks: CheckResult[]) => Promise<unknown>;
  /** Run when this instance becomes the leader: resolve its predecessor's automated runs left in flight. */
  takeOver?: () => Promise<unknown>;
  /** Told at each tick whether this instance leads; the shared snapshot's monitor by default (none when `evaluate` is given). */
  leadership?: (leading: boolean) => void;
};

export class IncidentEvaluator {
  private leaderConn: HeldSession | null = null;
  private previous: Map<string, CheckStatus> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly intervalMs: number;
  private readonly now: () => number;
  private readonly evaluate: () => Promise<CheckResult[]>;
  private readonly log: (line: string) => void;
  private readonly janitor: () => Promise<unknown>;
  private readonly janitorIntervalMs: number;
  private lastJanitor = 0;
  private readonly automate: (checks: CheckResult[]) => Promise<unknown>;
  private readonly takeOver: () => Promise<unknown>;
  private readonly leadership: (leading: boolean) => void;

  constructor(opts: EvaluatorOptions = {}) {
    this.intervalMs = opts.intervalMs ?? env().HEALTH_REFRESH_SECONDS * 1000;
    this.now = opts.now ?? Date.now;
    // The shared snapshot, re-evaluated only when older than the interval: when a viewer's request
    // has just refreshed it, the tick reads that one instead of querying the trading DB a second
    // time in the same interval (npm run bench, viewers_ratio). Ticks are an interval apart, so
    // two ticks never see the same snapshot.
    this.evaluate = opts.evaluate ?? (async () => (await healthMonitor().get()).checks);
    this.log = opts.log ?? ((l) => console.log(`[incidents] ${l}`));
    this.janitor = opts.janitor ?? (() => runJanitor());
    this.janitorIntervalMs = opts.janitorIntervalMs ?? JANITOR_INTERVAL_MS;
    // Imported when first used: the loop runs actions, whose modules the evaluator's own graph (and
    // the leadership test's bare process, tests/support/evaluator-process.ts) does without.
    // With no policy file there is nothing to automate, and nothing is imported.
    this.automate = opts.automate ?? (async (c) => (env().AUTOMATION_FILE ? (await import("../automation/loop.ts")).automationTick(c) : null));
    this.takeOver = opts.takeOver ?? (async () => (env().AUTOMATION_FILE ? (await import("../automation/loop.ts")).takeOverAutomation() : null));
    this.leadership = opts.leadership ?? (opts.evaluate ? () => {} : (leading) => healthMonitor().setLeading(leading));
  }

  get isLeader(): boolean {
    return this.leaderConn !== null;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((err) => console.error("[incidents] evaluation failed:", err))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
          this.timer?.unref();
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.resign();
    this.leadership(false);
  }

  /** One evaluation: refresh the checks; the leader then records transitions and incidents. */
  async tick(checks?: CheckResult[]): Promise<Decision | null> {
    // Not yet the leader (or no longer): follow the leader's shared snapshot rather than evaluate.
    const wasLeader = this.isLeader;
    this.leadership(wasLeader);
    let results = checks ?? (await this.evaluate());
    const leading = await this.lead();
    this.leadership(leading);
    if (!leading) return null;
    // Just took over: what was read as a follower may be the old leader's last snapshot, so evaluate
    // now (the monitor does not re-run a snapshot it evaluated itself within the interval).
    if (!wasLeader && !checks) results = await this.evaluate();
    let decision: Decision;
    try {
      decision = await this.apply(results);
    } catch (err) {
      // The store may be down; keep leadership only if our session is still alive.
      await this.verifyLeadership();
      throw err;
    }
    await this.sweep();
    // Level 1 automated recovery: the leader alone runs policies, from the checks this tick read.
    try {
      await this.automate(results);
    } catch (err) {
      console.error("[automation] pass failed:", err);
    }
    return decision;
  }

  /** The leader purges expiring rows every janitorIntervalMs; a failed purge is tried at the next tick. */
  private async sweep(): Promise<void> {
    const now = this.now();
    if (now - this.lastJanitor < this.janitorIntervalMs) return;
    try {
      await this.janitor();
      this.lastJanitor = now;
    } catch (err) {
      console.error("[janitor] purge failed:", err);
    }
  }

  private async lead(): Promise<boolean> {
    if (this.leaderConn) return this.verifyLeadership();
    let held;
    try {
      held = await holdConsoleSession();
    } catch {
      return false;
    }
    try {
      const [row] = await held.run((sql) => sql<[{ ok: boolean }]>`select pg_try_advisory_lock(hashtext(${LOCK})) as ok`, { timeoutMs: 5000 });
      if (!row!.ok) {
        await held.close();
        return false;
      }
    } catch {
      await held.close();
      return false;
    }
    this.leaderConn = held;
    this.previous = await latestCheckStatuses().catch(() => new Map());
    this.log(`this instance (pid ${process.pid}) now leads incident evaluation`);
    await this.takeOver().catch((err) => console.error("[automation] could not resolve the previous leader's runs:", err));
    return true;
  }

  /** Still the leader while the session that holds the lock lives (it never reconnects: see holdConsoleSession). */
  private async verifyLeadership(): Promise<boolean> {
    if (!this.leaderConn) return false;
    try {
      await this.leaderConn.run((sql) => sql`select 1`, { timeoutMs: 5000 });
      return true;
    } catch {
      this.log("lost the leadership connection; another instance may take over");
      await this.leaderConn.close();
      this.leaderConn = null;
      return false;
    }
  }

  private async resign(): Promise<void> {
    if (!this.leaderConn) return;
    // Ending the session releases the lock.
    await this.leaderConn.close();
    this.leaderConn = null;
  }

  private async apply(checks: CheckResult[]): Promise<Decision> {
    const e = env();
    const now = this.now();
    const notifications: Array<[NotifyEvent, number]> = [];
    // The runbook in force now: its scenario titles, escalation, and the version each new incident records.
    const runbook = currentRunbook();
    const decision = await withConsole(
      (sql) =>
        sql.begin(async (tx) => {
          const t = tx as unknown as Sql;
          const open = await listOpenIncidents(t);
          const d = decide({
            previous: this.previous ?? new Map(),
            checks: boundToRunbook(checks, runbook.runbook.scenarios),
            open,
            now,
            policy: policyFrom(e, runbook.runbook.escalation),
            resolveAfter: e.RESOLVE_AFTER_EVALUATIONS,
          });
          for (const tr of d.transitions) {
            await t`
              insert into console.check_transitions (check_id, at, from_status, to_status, value, summary)
              values (${tr.checkId}, ${tr.at}, ${tr.from}, ${tr.to}, ${t.json(tr.value as never)}, ${tr.summary})`;
            for (const inc of open.filter((i) => i.checkIds.includes(tr.checkId))) {
              await addIncidentEvent(t, { incidentId: inc.id, kind: "transition", at: tr.at, data: tr });
            }
          }
          for (const o of d.open) {
            const scenario = scenarioByNumber(runbook.runbook.scenarios, o.scenario);
            const title = scenario ? `${scenario.title}: ${scenario.symptoms}` : `Runbook scenario ${o.scenario}`;
            const [row] = await t<{ id: string }[]>`
              insert into console.incidents (scenario, title, started_at, check_ids, runbook_hash)
              values (${o.scenario}, ${title}, ${o.startedAt}, ${t.json(o.checkIds)}, ${runbook.hash})
              returning id`;
            const id = Number(row!.id);
            await addIncidentEvent(t, { incidentId: id, kind: "opened", at: o.startedAt, data: { trigger: o.trigger, checkIds: o.checkIds } });
            await addIncidentEvent(t, { incidentId: id, kind: "transition", at: o.trigger.at, data: o.trigger });
            await appendAudit(
              {
                actor: SYSTEM,
                action: "incident.open",
                outcome: "succeeded",
                incidentRef: `INC-${id}`,
                detail: { scenario: o.scenario, title, startedAt: o.startedAt, checkIds: o.checkIds, runbook: runbook.hash },
              },
              { tx: t },
            );
            notifications.push(["opened", id]);
          }
          for (const j of d.join) {
            await t`update console.incidents set check_ids = check_ids || ${t.json([j.checkId])} where id = ${j.incidentId}`;
            await addIncidentEvent(t, { incidentId: j.incidentId, kind: "joined", at: j.trigger.at, data: j.trigger });
          }
          for (const s of d.streaks) await t`update console.incidents set ok_streak = ${s.okStreak} where id = ${s.incidentId}`;
          for (const l of d.levels) {
            await t`update console.incidents set level = ${l.to}, max_level = greatest(max_level, ${l.to}) where id = ${l.incidentId}`;
            await addIncidentEvent(t, { incidentId: l.incidentId, kind: "level", at: new Date(now).toISOString(), data: { from: l.from, to: l.to } });
            await appendAudit(
              { actor: SYSTEM, action: "incident.escalate", outcome: "succeeded", incidentRef: `INC-${l.incidentId}`, detail: { from: l.from, to: l.to } },
              { tx: t },
            );
            notifications.push(["escalated", l.incidentId]);
          }
          for (const r of d.resolve) {
            await t`update console.incidents set status = 'resolved', resolved_at = ${r.at} where id = ${r.incidentId}`;
            await addIncidentEvent(t, { incidentId: r.incidentId, kind: "resolved", at: r.at, data: { afterOkEvaluations: e.RESOLVE_AFTER_EVALUATIONS } });
            await appendAudit({ actor: SYSTEM, action: "incident.resolve", outcome: "succeeded", incidentRef: `INC-${r.incidentId}` }, { tx: t });
            notifications.push(["resolved", r.incidentId]);
          }
          return d;
        }) as Promise<Decision>,
      { timeoutMs: 10_000 },
    );
    // Committed: now it is safe to remember the statuses and to tell the world.
    this.previous = new Map(checks.map((c) => [c.id, c.status]));
    if (notifications.length) {
      const rows = await withConsole((sql) => sql`select * from console.incidents where id = any(${notifications.map(([, id]) => id)}::bigint[])`).catch(
        () => [],
      );
      const byId = new Map<number, IncidentRow>(rows.map((r) => [Number(r.id), toIncident(r as never)]));
      // An escalation says what automation tried for the incident.
      const escalated = notifications.filter(([ev]) => ev === "escalated").map(([, id]) => id);
      const tried = escalated.length ? await listAutomationRuns({ incidentIds: escalated }).catch(() => []) : [];
      for (const [event, id] of notifications) {
        const inc = byId.get(id);
        const automation = event === "escalated" ? automationSummary(tried.filter((r) => r.incidentId === id)) : null;
        if (inc) notify(event, inc, automation ? { automation } : {});
      }
    }
    return decision;
  }
}

const g = globalThis as unknown as { __rcEvaluator?: IncidentEvaluator };

/** Start the process-wide evaluator once (instrumentation.ts). */
export function startIncidentEvaluator(): IncidentEvaluator | null {
  if (!env().INCIDENT_EVALUATOR_ENABLED) return null;
  if (!g.__rcEvaluator) {
    g.__rcEvaluator = new IncidentEvaluator();
    g.__rcEvaluator.start();
  }
  return g.__rcEvaluator;
}

/**
 * Whether this process leads incident evaluation now (for /api/metrics), or null when it runs no
 * evaluator (INCIDENT_EVALUATOR_ENABLED=0). Across the instances behind a load balancer exactly one
 * says true (docs/deploying.md, "Several instances").
 */
export function leadsIncidentEvaluation(): boolean | null {
  return g.__rcEvaluator ? g.__rcEvaluator.isLeader : null;
}

/**
 * A check opens incidents for the scenario the runbook file binds it to (its `checks`, inferred or
 * annotated), so a team that moves a symptom to another scenario moves its incidents too. A check
 * whose definition names no scenario (the "Failed executions" monitoring query) stays a reading:
 * the runbook's binding shows its steps beside the panel, but it opens no incident.
 */
export function boundToRunbook(checks: CheckResult[], scenarios: readonly Scenario[]): CheckResult[] {
  return checks.map((c) => {
    if (c.scenario === null) return c;
    const bound = scenarioForCheck(scenarios, c.id);
    return bound && bound.number !== c.scenario ? { ...c, scenario: bound.number } : c;
  });
}
