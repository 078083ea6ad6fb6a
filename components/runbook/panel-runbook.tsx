"use client";
import { useQuery } from "@tanstack/react-query";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import type { CurrentIncidents } from "@/lib/recovery/incidents/view";
import { keys } from "../data/keys";
import { useRunbook } from "./runbook-context";
import { RunbookSteps } from "./runbook-steps";

type Current = CurrentIncidents;

/**
 * Beside a critical panel: the matching runbook scenario's recovery steps, in order, ticked from
 * the audit log for the open incident, with the scenario's contacts (the DBA for scenario 3,
 * broker support for scenario 5).
 */
export function PanelRunbook({ check, canAct }: { check: CheckResult; canAct: boolean }) {
  const runbook = useRunbook();
  // Shares the banner's query (same key): no extra request.
  const { data } = useQuery<Current>({ queryKey: keys.incidents(), enabled: false });
  // The runbook file's binding wins; a check the file does not bind keeps its own scenario.
  const scenario = runbook?.byCheck[check.id] ?? check.scenario;
  if (!runbook || check.status !== "critical" || !scenario) return null;
  const steps = runbook.steps[scenario];
  if (!steps) return null;
  const incident = data?.incidents.find((i) => i.scenario === scenario);
  const done = new Set<string>(incident?.doneActions ?? []);
  const contacts = (runbook.contacts[scenario] ?? []).filter((c) => c.key !== "oncall");
  return (
    <details
      open
      className="mt-3 rounded-md border border-red-300 bg-red-50/60 p-2 dark:border-red-900 dark:bg-red-950/30"
      data-testid="panel-runbook"
      data-runbook-version={runbook.version}
    >
      <summary className="cursor-pointer text-sm font-semibold">
        Runbook {scenario}: {runbook.titles[scenario]}
      </summary>
      <div className="mt-2">
        <RunbookSteps steps={steps} done={done} canAct={canAct} incidentRef={incident?.ref} panelCheckId={check.id} links={runbook.links[scenario]} />
        {contacts.map((c) => (
          <p key={c.key} className="mt-1 text-xs">
            {c.role}:{" "}
            {c.set ? (
              [c.name, c.phone, c.email].filter(Boolean).join(" · ")
            ) : (
              <span className="font-semibold text-red-700 dark:text-red-300">not set ({c.problem})</span>
            )}
          </p>
        ))}
      </div>
    </details>
  );
}
