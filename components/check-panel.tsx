"use client";
import type { CheckResult } from "@/lib/recovery/checks/types";
import { StatusBadge, statusBorder } from "./status-badge";
import { useNow } from "./use-now";

export function CheckPanel({ check, stale }: { check: CheckResult; stale: boolean }) {
  const now = useNow(1000);
  const age = Math.max(0, Math.round((now - Date.parse(check.observedAt)) / 1000));
  return (
    <section
      aria-labelledby={`check-${check.id}-title`}
      data-testid={`panel-${check.id}`}
      data-status={check.status}
      className={`rounded-lg border border-l-8 border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900 ${statusBorder[check.status]} ${stale ? "opacity-70" : ""}`}
    >
      <div className="flex items-start justify-between gap-2">
        <h2 id={`check-${check.id}-title`} className="font-semibold">
          {check.title}
        </h2>
        <StatusBadge status={check.status} />
      </div>
      <p className="mt-2 text-3xl font-bold tabular-nums" data-testid="value">
        {check.value ?? "—"}
        {check.value !== null && <span className="ml-1 text-sm font-normal text-zinc-500 dark:text-zinc-400">{check.unit}</span>}
      </p>
      <p className="mt-1 text-sm" data-testid="summary">
        {check.summary}
      </p>
      {check.threshold && <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">Threshold: {check.threshold}</p>}
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="updated">
        {stale ? <span className="font-semibold text-amber-700 dark:text-amber-300">Stale: refresh failing · </span> : null}
        updated {age} s ago
        {check.scenario ? <> · runbook scenario {check.scenario}</> : null}
      </p>
    </section>
  );
}
