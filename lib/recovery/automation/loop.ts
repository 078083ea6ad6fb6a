import "server-only";
/**
 * The automation loop: run by the incident-evaluation leader only (lib/recovery/incidents/evaluator.ts),
 * after it has recorded the tick's incidents, so exactly one instance runs policies. It decides from
 * the checks the evaluator already has (the shared snapshot, lib/recovery/health/snapshot.ts) and from the
 * console store; it never queries the trading DB for its decision (only the action itself does,
 * when it runs, as a person's would).
 */
import { env } from "../../env.ts";
import { withConsole } from "../../db/client.ts";
import { listPendingApprovals } from "../../db/queries/actions.ts";
import { insertAutomationRun, listAutomationPauses, listAutomationRuns, resolveOrphanedRuns, type AutomationRun } from "../../db/queries/automation.ts";
import { addIncidentEvent, listOpenIncidents, type IncidentRow } from "../../db/queries/incidents.ts";
import type { CheckResult } from "../health/checks/types.ts";
import { AUTOMATION_ACTOR } from "../actions/pipeline.ts";
import { notify } from "../incidents/notify.ts";
import { currentPolicies } from "./load.ts";
import { phrase, planPolicy, type Plan } from "./plan.ts";
import type { Policy } from "./policy.ts";
import { runPolicy, type RunDeps } from "./runner.ts";

export type AutomationView = { plans: Plan[]; runs: AutomationRun[] };

/** The open incident that holds a check. */
function incidentFor(open: IncidentRow[], checkId: string): IncidentRow | null {
  return open.find((i) => i.checkIds.includes(checkId)) ?? null;
}

/** Every policy's plan now, and the runs of the open incidents: what the leader acts on and the panels show. */
export async function automationView(
  checks: CheckResult[],
  opts: { now?: number; policies?: Policy[]; open?: IncidentRow[] } = {},
): Promise<AutomationView & { open: IncidentRow[] }> {
  const policies = opts.policies ?? currentPolicies();
  if (!policies.length) return { plans: [], runs: [], open: [] };
  const e = env();
  const now = opts.now ?? Date.now();
  const [open, pauses, approvals] = await Promise.all([opts.open ?? listOpenIncidents(), listAutomationPauses(), listPendingApprovals()]);
  const runs = await listAutomationRuns({ incidentIds: open.map((i) => i.id) });
  const plans = policies.map((policy) => {
    const incident = incidentFor(open, policy.check);
    const pause = pauses.find((p) => p.policy === policy.name);
    return planPolicy({
      policy,
      check: checks.find((c) => c.id === policy.check),
      incident,
      runs: incident ? runs.filter((r) => r.policy === policy.name && r.incidentId === incident.id) : [],
      paused: pause ? { byEmail: pause.pausedByEmail, at: pause.pausedAt } : null,
      approvalPending: approvals.some((a) => a.requestedBy === AUTOMATION_ACTOR.id && a.action === policy.action && a.expiresAt.getTime() > now),
      switches: { actionsEnabled: e.RECOVERY_ACTIONS_ENABLED, automationEnabled: e.AUTOMATION_ENABLED },
      now,
    });
  });
  return { plans, runs, open };
}

/** One pass of the loop (leader only): run what is due, and record the stop of a policy that used up its runs. */
export async function automationTick(checks: CheckResult[], opts: { now?: number; policies?: Policy[]; deps?: RunDeps } = {}): Promise<AutomationRun[]> {
  const policies = opts.policies ?? currentPolicies();
  const e = env();
  // Kill switches: nothing runs, nothing is even planned.
  if (!policies.length || !e.RECOVERY_ACTIONS_ENABLED || !e.AUTOMATION_ENABLED) return [];
  const { plans, runs, open } = await automationView(checks, { ...opts, policies });
  const done: AutomationRun[] = [];
  for (const plan of plans) {
    const policy = policies.find((p) => p.name === plan.policy)!;
    const incident = plan.incidentId !== null ? open.find((i) => i.id === plan.incidentId)! : null;
    if (!incident) continue;
    if (plan.kind === "due") {
      done.push(await runPolicy(policy, incident, plan.runsUsed + 1, opts.deps));
    } else if (plan.kind === "exhausted" && !runs.some((r) => r.policy === policy.name && r.incidentId === incident.id && r.state === "exhausted")) {
      done.push(await recordExhausted(policy, incident, plan));
    }
  }
  return done;
}

/** The policy used up its runs and the check is still critical: say so once, and leave it to on-call (escalation goes on). */
async function recordExhausted(policy: Policy, incident: IncidentRow, plan: Plan): Promise<AutomationRun> {
  const message = `Automation (${policy.name}) stops: ${plan.runsUsed} ${plan.runsUsed === 1 ? "run" : "runs"} to ${phrase(policy.action).does} did not fix ${policy.check} (its limit is ${policy.limits.maxRunsPerIncident} per incident). Over to on-call; escalation goes on.`;
  const row = await withConsole(
    (sql) =>
      sql.begin(async (tx) => {
        const t = tx as unknown as typeof sql;
        const r = await insertAutomationRun(
          {
            policy: policy.name,
            incidentId: incident.id,
            checkId: policy.check,
            action: policy.action,
            mode: policy.mode === "dry-run" ? "dry-run" : "on",
            state: "exhausted",
            message,
          },
          t,
        );
        await addIncidentEvent(t, {
          incidentId: incident.id,
          kind: "automation",
          actor: "automation",
          data: { policy: policy.name, action: policy.action, mode: policy.mode, state: "exhausted", message },
        });
        return r;
      }) as Promise<AutomationRun>,
    { timeoutMs: 5000 },
  );
  notify("automation", incident, { automation: message });
  return row;
}

/**
 * A new leader takes over: runs its predecessor left `running` are resolved as "outcome unknown",
 * as a person's run whose outcome was never written is; each goes on its incident's timeline.
 */
export async function takeOverAutomation(log: (line: string) => void = (l) => console.log(`[automation] ${l}`)): Promise<AutomationRun[]> {
  const orphans = await resolveOrphanedRuns();
  for (const r of orphans) {
    log(`run ${r.id} of ${r.policy} was in flight when its instance stopped: outcome unknown`);
    if (r.incidentId !== null) {
      await withConsole(
        (sql) =>
          addIncidentEvent(sql, {
            incidentId: r.incidentId!,
            kind: "automation",
            actor: "automation",
            data: { policy: r.policy, action: r.action, mode: r.mode, state: "unknown", message: r.message, intentSeq: r.intentSeq },
          }),
        {
          timeoutMs: 3000,
        },
      ).catch(() => {});
    }
  }
  return orphans;
}
