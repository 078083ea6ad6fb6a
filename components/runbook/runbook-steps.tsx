import type { RenderedStep, RunbookLink } from "@/lib/recovery/runbook/model";
import { CopyButton } from "./copy-button";
import { RunbookActionButton } from "./runbook-action-button";

/**
 * A scenario's recovery steps, in order. Console actions are ticked when the audit log shows them
 * done (succeeded or partial) during the incident, and can be run from here by those who may act.
 */
export function RunbookSteps({
  steps,
  done,
  canAct,
  incidentRef,
  panelCheckId,
  links = [],
}: {
  steps: RenderedStep[];
  done: ReadonlySet<string>;
  canAct: boolean;
  incidentRef?: string;
  /** On a panel, its own action already has a button: the step points to it instead of repeating it. */
  panelCheckId?: string;
  /** Configured links for the scenario (logs, dashboards), shown after the steps. */
  links?: RunbookLink[];
}) {
  return (
    <>
      <ol className="list-decimal space-y-2 pl-6 text-sm" data-testid="runbook-steps">
        {steps.map((s, i) => {
          const ticked = s.kind === "action" && s.action ? done.has(s.action) : false;
          return (
            <li key={i} data-kind={s.kind} data-done={ticked ? "true" : "false"}>
              <span className={ticked ? "line-through opacity-70" : ""}>{s.text}</span>
              {ticked && <span className="ml-2 font-semibold text-green-700 dark:text-green-400">✓ done (audit log)</span>}
              <span className="ml-2 text-xs uppercase tracking-wide text-zinc-600 dark:text-zinc-400">{s.kind === "action" ? "console action" : s.kind}</span>
              {/* An action's command too, for those who may not run it from the console. */}
              {s.command && (s.kind === "command" || (s.kind === "action" && !canAct)) && (
                <div className="mt-1 flex items-start gap-2">
                  <code className="block min-w-0 max-w-full whitespace-pre-wrap break-all rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-800">
                    {s.command}
                  </code>
                  <CopyButton text={s.command} />
                </div>
              )}
              {s.kind === "action" && s.checkId && canAct && !ticked && s.checkId === panelCheckId && <span className="ml-2 text-xs">(the button above)</span>}
              {s.kind === "action" && s.checkId && canAct && !ticked && s.checkId !== panelCheckId && (
                <div className="mt-1">
                  <RunbookActionButton checkId={s.checkId} incidentRef={incidentRef} />
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {links.length > 0 && (
        <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-sm" data-testid="runbook-links" aria-label="Links for this scenario">
          {links.map((l) => (
            <li key={l.href}>
              <a href={l.href} target="_blank" rel="noopener noreferrer" className="font-medium text-sky-700 underline dark:text-sky-400">
                {l.label}
              </a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
