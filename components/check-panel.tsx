"use client";
import { PanelActions } from "@/components/actions/panel-actions";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { formatDuration } from "./format";
import { clientOnly, deferred } from "./lazy";
import type { SparklineData } from "./sparkline";
import { StatusBadge, statusBorder, statusLabel } from "./status-badge";
import { Time } from "./time";

// uPlot is loaded on the client only, after the first paint; the box keeps its height meanwhile.
const Sparkline = clientOnly(
  () => import("./sparkline").then((m) => m.Sparkline),
  () => <div className="h-10 w-full" aria-hidden="true" />,
);
// Server-rendered, their code fetched once the panel's own has arrived (components/lazy.tsx): the
// details' rows (behind a <details> that opens without JavaScript) and the runbook steps. The
// action button comes with the panel, so it is live as soon as the panel is.
const CheckDetails = deferred(() => import("./check-details").then((m) => m.CheckDetails));
const PanelRunbook = deferred(() => import("@/components/runbook/panel-runbook").then((m) => m.PanelRunbook));
const PanelAutomation = deferred(() => import("@/components/automation/panel-automation").then((m) => m.PanelAutomation));

/** "Critical since 14:02 CET (12 min)", or "since at least" when it began before the console was watching. */
export function SinceText({ check, now }: { check: CheckResult; now: number }) {
  if (!check.since || check.status === "ok" || check.detail.configured === false) return null;
  const minutes = formatDuration((now - Date.parse(check.since.at)) / 1000);
  return (
    <>
      {statusLabel[check.status]} since {check.since.exact ? "" : "at least "}
      <Time iso={check.since.at} style="clock" /> ({minutes})
    </>
  );
}

/** Whether a check has a "since" to show. */
export const hasSince = (check: CheckResult) => !!check.since && check.status !== "ok" && check.detail.configured !== false;

export function CheckPanel({
  check,
  stale,
  now,
  trend,
  canAct,
}: {
  check: CheckResult;
  stale: boolean;
  now: number;
  trend: { data: SparklineData; label: string } | null;
  canAct: boolean;
}) {
  const age = Math.max(0, Math.round((now - Date.parse(check.observedAt)) / 1000));
  const since = hasSince(check);
  const notConfigured = check.detail.configured === false;
  return (
    <section
      id={`panel-${check.id}`}
      aria-labelledby={`check-${check.id}-title`}
      data-testid={`panel-${check.id}`}
      data-status={check.status}
      data-stale={stale ? "true" : "false"}
      className={`flex min-w-0 flex-col rounded-lg border border-l-8 border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900 ${statusBorder[check.status]} ${
        stale ? "border-dashed opacity-75" : ""
      }`}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={`check-${check.id}-title`} className="font-semibold">
            {check.title}
          </h2>
          {check.scenario ? <p className="text-xs text-zinc-600 dark:text-zinc-400">Runbook scenario {check.scenario}</p> : null}
        </div>
        <StatusBadge status={check.status} />
      </div>

      <p className="mt-2 text-3xl font-bold tabular-nums" data-testid="value">
        {check.value ?? "—"}
        {check.value !== null && check.unit ? <span className="ml-1 text-sm font-normal text-zinc-600 dark:text-zinc-400">{check.unit}</span> : null}
      </p>
      {since ? (
        <p className="mt-1 text-sm font-semibold" data-testid="since" suppressHydrationWarning>
          <SinceText check={check} now={now} />
        </p>
      ) : null}
      <p className="mt-1 text-sm break-words" data-testid="summary">
        {check.summary}
      </p>
      {check.status === "unknown" && check.lastKnown ? (
        <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="last-known" suppressHydrationWarning>
          Last known at <Time iso={check.lastKnown.observedAt} style="clock" />: {statusLabel[check.lastKnown.status]}, {check.lastKnown.value ?? "—"}{" "}
          {check.lastKnown.unit} ({check.lastKnown.summary})
        </p>
      ) : null}
      {check.error && !notConfigured ? (
        <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="error">
          Error code <code>{check.error.code}</code>
        </p>
      ) : null}

      {trend && !notConfigured ? (
        <div className="mt-2">
          <Sparkline data={trend.data} tone={check.status} label={trend.label} testId="sparkline" />
        </div>
      ) : null}

      {check.threshold ? <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">Threshold: {check.threshold}</p> : null}
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="updated" suppressHydrationWarning>
        {stale ? <span className="font-semibold text-amber-800 dark:text-amber-300">⚠ Stale: refresh failing · </span> : null}
        updated {age} s ago
      </p>

      <CheckDetails check={check} canAct={canAct} />
      <PanelAutomation check={check} now={now} />
      <PanelActions check={check} canAct={canAct} />
      <PanelRunbook check={check} canAct={canAct} />
    </section>
  );
}
