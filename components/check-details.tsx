"use client";
/**
 * The detail behind a panel's number: the rows an on-call acts on (stale directives, failed
 * executions, idle sessions) and the inputs of the other checks, each drawn by its check's renderer
 * (components/checks/). Rendered inside a <details> element, so it opens with the keyboard (Enter
 * or Space on its summary) and without JavaScript.
 */
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { Facts } from "./checks/parts";
import { useCheckRenderer } from "./checks/registry";
import { formatValue } from "./format";

export function CheckDetails({ check, canAct = false }: { check: CheckResult; canAct?: boolean }) {
  const renderer = useCheckRenderer(check.id);
  const configured = check.detail.configured !== false;
  if (!configured) {
    return <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">To enable: {String(check.detail.hint ?? "see docs/configuration.md")}.</p>;
  }
  if (check.status === "unknown" && Object.keys(check.detail).length === 0) return null;
  const n = renderer?.rowCount?.(check.detail) ?? null;
  return (
    <details className="group mt-3" data-testid="details">
      <summary className="cursor-pointer rounded text-sm font-medium text-sky-700 select-none hover:underline dark:text-sky-400">
        Details{n !== null ? ` (${n} ${n === 1 ? "row" : "rows"})` : ""}
      </summary>
      <div className="mt-2 space-y-2">
        {renderer ? (
          <renderer.Body check={check} detail={check.detail} canAct={canAct} />
        ) : (
          // A check this client has no renderer for (a newer server): its plain facts.
          <Facts
            items={Object.entries(check.detail)
              .filter(([, v]) => typeof v !== "object" || v === null)
              .map(([k, v]) => [k, formatValue(v)])}
          />
        )}
      </div>
    </details>
  );
}
