"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { setAutomationPausedAction } from "@/app/actions/automation";
import type { Plan } from "@/lib/recovery/automation/plan";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { fetchJson, retryUnlessSignedOut } from "../data/fetch-json";
import { keys } from "../data/keys";
import { useHydrated } from "../lazy";
import { Time } from "../time";

type Run = {
  id: number;
  policy: string;
  checkId: string;
  incidentId: number | null;
  mode: string;
  state: string;
  outcome: string | null;
  message: string;
  at: string;
};
export type AutomationData = { generatedAt: string; canPause: boolean; plans: Plan[]; runs: Run[] };

const fetchAutomation = (signal: AbortSignal) => fetchJson<AutomationData>("/api/automation", signal);

/** The live countdown of a waiting plan, from the panel's clock. */
export function planText(plan: Plan, now: number): string {
  if (plan.kind !== "waiting" || plan.runAt === undefined) return plan.text;
  const s = Math.max(0, Math.ceil((plan.runAt - now) / 1000));
  return plan.text.replace(/ in \d+ s/, ` in ${s} s`);
}

/**
 * On a panel a policy watches (AUTOMATION_FILE): what automation will do and when, what it did for
 * the open incident, and, for on-call, Pause / Resume (audited). Polls only while policies exist.
 */
/**
 * The one automation query (panels and banner share it); polls only while policies exist.
 *
 * The server renders no automation (it does not read it), so a part hydrating sees none either,
 * even when another part's fetch has already filled the shared cache: the panels' lines and the
 * banner hydrate at different moments (components/lazy.tsx `deferred`), and a line the server did
 * not render would be a hydration mismatch. The data shows right after (useHydrated).
 */
export function useAutomation(): { data: AutomationData | undefined } {
  const hydrated = useHydrated();
  const { data } = useQuery({
    queryKey: keys.automation(),
    queryFn: ({ signal }) => fetchAutomation(signal),
    refetchInterval: (q) => (q.state.data && q.state.data.plans.length === 0 ? false : 5000),
    retry: retryUnlessSignedOut,
  });
  return { data: hydrated ? data : undefined };
}

/** Kinds worth a line on the incident banner: automation is about to act, waits for a person, or has stopped. */
const BANNER_KINDS: ReadonlySet<Plan["kind"]> = new Set(["waiting", "due", "awaiting_approval", "exhausted", "handed_over", "paused"]);

/** On the incident banner: what automation will do for this incident, or why it is waiting for a person. */
export function IncidentAutomation({ incidentId, now }: { incidentId: number; now: number }) {
  const { data } = useAutomation();
  const plans = data?.plans.filter((p) => p.incidentId === incidentId && BANNER_KINDS.has(p.kind)) ?? [];
  if (!plans.length) return null;
  return (
    <ul className="mt-1 text-sm" data-testid="incident-automation">
      {plans.map((p) => (
        <li key={p.policy} data-kind={p.kind} suppressHydrationWarning>
          <span aria-hidden="true">⚙ </span>
          {planText(p, now)}
        </li>
      ))}
    </ul>
  );
}

export function PanelAutomation({ check, now }: { check: CheckResult; now: number }) {
  const queryClient = useQueryClient();
  const { data } = useAutomation();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const plans = data?.plans.filter((p) => p.check === check.id) ?? [];
  if (!plans.length) return null;
  const toggle = (policy: string, paused: boolean) =>
    start(async () => {
      const r = await setAutomationPausedAction({ policy, paused });
      setMessage(r.message ?? null);
      await queryClient.invalidateQueries({ queryKey: keys.automation() });
    });
  return (
    <div className="mt-3 rounded-md border border-sky-300 bg-sky-50 p-2 text-sm dark:border-sky-800 dark:bg-sky-950/40" data-testid="automation">
      {plans.map((plan) => {
        const runs = (data?.runs ?? []).filter((r) => r.policy === plan.policy && r.state !== "refused").slice(-3);
        return (
          <div key={plan.policy} data-testid={`automation-${plan.policy}`} data-kind={plan.kind}>
            <p className="font-medium" data-testid="automation-plan" suppressHydrationWarning>
              <span aria-hidden="true">⚙ </span>
              {planText(plan, now)}
              {plan.mode === "dry-run" ? <span className="ml-1 text-xs font-normal text-zinc-600 dark:text-zinc-400">(dry run: changes nothing)</span> : null}
            </p>
            {runs.length ? (
              <ul className="mt-1 space-y-0.5 text-xs text-zinc-700 dark:text-zinc-300" data-testid="automation-runs">
                {runs.map((r) => (
                  <li key={r.id} data-state={r.state}>
                    <Time iso={r.at} style="clock-seconds" />
                    {r.incidentId !== null ? ` (INC-${r.incidentId})` : ""}: {r.message}
                  </li>
                ))}
              </ul>
            ) : null}
            {data?.canPause && plan.kind !== "off" && plan.kind !== "disabled" ? (
              <button
                type="button"
                disabled={pending}
                onClick={() => toggle(plan.policy, plan.kind !== "paused")}
                className="mt-1 rounded-md border border-zinc-300 px-2 py-0.5 text-xs font-medium hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800"
              >
                {plan.kind === "paused" ? "Resume automation" : "Pause automation"}
              </button>
            ) : null}
          </div>
        );
      })}
      {message ? (
        <p aria-live="polite" className="mt-1 text-xs">
          {message}
        </p>
      ) : null}
    </div>
  );
}
