import "server-only";
/**
 * One automated run of one policy for one incident: through the guarded pipeline
 * (lib/recovery/actions/pipeline.ts runAutomated), then recorded where every instance and person sees
 * it: the run row (console.automation_runs), the incident's timeline, and a notification saying
 * what automation did and whether the check recovered.
 */
import { createHash } from "node:crypto";
import { withConsole } from "../../db/client.ts";
import { finishAutomationRun, insertAutomationRun, type AutomationRun, type AutomationRunState } from "../../db/queries/automation.ts";
import { addIncidentEvent, incidentRef, type IncidentRow } from "../../db/queries/incidents.ts";
import { actionByName } from "../actions/index.ts";
import { runAutomated, type AutomatedRunResult } from "../actions/pipeline.ts";
import type { ActionDefinition } from "../actions/types.ts";
import { notify } from "../incidents/notify.ts";
import { phrase } from "./plan.ts";
import type { Policy } from "./policy.ts";

/** A UUID-shaped key from (policy, incident, run number): the same run has the same key on every instance. */
export function automationKey(policy: string, incidentId: number, runNumber: number): string {
  const h = createHash("sha256").update(`recovery-console:automation|${policy}|${incidentId}|${runNumber}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type RunDeps = { execute?: typeof runAutomated };

export async function runPolicy(policy: Policy, incident: IncidentRow, runNumber: number, deps: RunDeps = {}): Promise<AutomationRun> {
  const def = actionByName(policy.action) as ActionDefinition<unknown, unknown> | undefined;
  if (!def) throw new Error(`unknown action ${policy.action}`);
  const key = automationKey(policy.name, incident.id, runNumber);
  const base = {
    policy: policy.name,
    incidentId: incident.id,
    checkId: policy.check,
    action: policy.action,
    mode: policy.mode === "dry-run" ? ("dry-run" as const) : ("on" as const),
  };
  let running: AutomationRun | null = null;
  const result: AutomatedRunResult = await (deps.execute ?? runAutomated)({
    def,
    params: policy.params,
    policy: policy.name,
    incidentRef: incidentRef(incident.id),
    idempotencyKey: key,
    maxTargets: policy.limits.maxTargets,
    dryRun: policy.mode === "dry-run",
    // Recorded before the intent: should this instance die during the effect, the next leader finds
    // the row `running` and marks it "outcome unknown" (loop.ts takeOver).
    onStart: async () => {
      running = await insertAutomationRun({
        ...base,
        state: "running",
        message: `Automation is ${phrase(policy.action).doing} (run ${runNumber}).`,
        idempotencyKey: key,
        finished: false,
      });
    },
  });
  const rec = describe(policy, runNumber, result);
  let row: AutomationRun;
  const started = running as AutomationRun | null;
  if (started) {
    await finishAutomationRun({ id: started.id, state: rec.state, outcome: rec.outcome, intentSeq: rec.intentSeq, message: rec.message, detail: rec.detail });
    row = { ...started, state: rec.state, outcome: rec.outcome, intentSeq: rec.intentSeq, message: rec.message, detail: rec.detail };
  } else {
    row = await insertAutomationRun({ ...base, ...rec, idempotencyKey: rec.state === "approval_required" ? key : null });
  }
  await withConsole(
    (sql) =>
      addIncidentEvent(sql, {
        incidentId: incident.id,
        kind: "automation",
        actor: "automation",
        data: {
          policy: policy.name,
          action: policy.action,
          mode: policy.mode,
          run: runNumber,
          state: rec.state,
          outcome: rec.outcome,
          message: rec.message,
          intentSeq: rec.intentSeq,
        },
      }),
    {
      timeoutMs: 3000,
    },
  ).catch((err) => console.error("[automation] could not add the run to the incident timeline:", err));
  if (rec.state !== "refused") notify("automation", incident, { automation: rec.message });
  return row;
}

type Recorded = { state: AutomationRunState; outcome: string | null; intentSeq: number | null; message: string; detail: Record<string, unknown> | null };

function describe(policy: Policy, runNumber: number, r: AutomatedRunResult): Recorded {
  const p = phrase(policy.action);
  const of = `run ${runNumber} of ${policy.limits.maxRunsPerIncident}`;
  switch (r.kind) {
    case "ran": {
      const res = r.state.result;
      const after = res?.after ?? null;
      const recovered = after ? after.status === "ok" : null;
      const outcome = res?.outcome ?? (r.state.ok ? "succeeded" : "failed");
      const check = recovered === null ? "" : recovered ? ` The check recovered (${after!.status}).` : ` The check did not recover (still ${after!.status}).`;
      return {
        state: "ran",
        outcome,
        intentSeq: res?.intentSeq ?? null,
        message:
          `Automation (${policy.name}) ${outcome === "succeeded" ? p.did : `tried to ${p.does}`}, ${of}: ${outcome}. ${res?.message ?? r.state.message ?? ""}${check}`.trim(),
        detail: { recovered, after: after && { status: after.status, value: after.value, observedAt: after.observedAt }, outcomeSeq: res?.outcomeSeq ?? null },
      };
    }
    case "would_run":
      return {
        state: "would_run",
        outcome: null,
        intentSeq: null,
        message: `Dry run (${policy.name}): automation would ${p.does} now (${r.count} ${r.count === 1 ? "target" : "targets"}${r.needsApproval ? ", above the approval threshold" : ""}); nothing was changed. ${r.summary}`,
        detail: { auditSeq: r.auditSeq, count: r.count, needsApproval: r.needsApproval },
      };
    case "approval_required":
      return {
        state: "approval_required",
        outcome: null,
        intentSeq: null,
        message: `Automation (${policy.name}) wants to ${p.does}: ${r.message}`,
        detail: { approvalId: r.approvalId, count: r.count, threshold: r.threshold ?? null },
      };
    case "handed_over":
      return {
        state: "handed_over",
        outcome: null,
        intentSeq: null,
        message: `Automation (${policy.name}) did not ${p.does}: ${r.message}`,
        detail: { count: r.count, maxTargets: r.maxTargets },
      };
    case "refused":
      return {
        state: "refused",
        outcome: null,
        intentSeq: null,
        message: `Automation (${policy.name}) could not ${p.does} now: ${r.message}`,
        detail: { code: r.code, retryAfterSeconds: r.retryAfterSeconds ?? null },
      };
  }
}
