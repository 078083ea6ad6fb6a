"use client";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useSyncExternalStore } from "react";
import type { CheckId } from "@/lib/recovery/health/checks";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import type { HealthHistory, Snapshot } from "@/lib/recovery/health/snapshot";
import { SignedOutError, useHealth, useHealthHistory } from "./data/health-query";
import { CheckPanel } from "./check-panel";
import { formatDuration } from "./format";
import { HealthSummary } from "./health-summary";
import type { SparklineData } from "./sparkline";
import { useNow } from "./use-now";

const LEVEL = { ok: 0, warn: 1, critical: 2, unknown: null } as const;

/** Worst first: critical, then warning, unknown, ok (the order a triage reads them in). */
const SEVERITY: Record<CheckResult["status"], number> = { critical: 0, warn: 1, unknown: 2, ok: 3 };

type PanelOrder = "configured" | "worst";
const ORDER_KEY = "rc.panel-order";
const ORDER_EVENT = "rc:panel-order";
const PHONE = "(max-width: 639px)";

function subscribeOrder(onChange: () => void) {
  const mq = window.matchMedia(PHONE);
  mq.addEventListener("change", onChange);
  window.addEventListener(ORDER_EVENT, onChange);
  window.addEventListener("storage", onChange);
  return () => {
    mq.removeEventListener("change", onChange);
    window.removeEventListener(ORDER_EVENT, onChange);
    window.removeEventListener("storage", onChange);
  };
}

function readOrder(): PanelOrder {
  try {
    return window.localStorage.getItem(ORDER_KEY) === "worst" ? "worst" : "configured";
  } catch {
    return "configured";
  }
}

function setOrder(order: PanelOrder) {
  try {
    window.localStorage.setItem(ORDER_KEY, order);
  } catch {
    // No storage: the choice lasts for this page.
  }
  window.dispatchEvent(new Event(ORDER_EVENT));
}

/**
 * The panels in the order to show: as configured, or worst first (the viewer's setting); on a
 * phone, where one panel fills the screen, critical panels come first whatever the setting. The
 * server renders the configured order (it knows neither), the browser reorders once hydrated.
 */
function usePanelOrder(checks: CheckResult[]): { ordered: CheckResult[]; order: PanelOrder } {
  const order = useSyncExternalStore(subscribeOrder, readOrder, () => "configured" as const);
  const phone = useSyncExternalStore(
    subscribeOrder,
    () => window.matchMedia(PHONE).matches,
    () => false,
  );
  const ordered = useMemo(() => {
    if (order === "worst") return [...checks].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
    if (phone) return [...checks].sort((a, b) => Number(b.status === "critical") - Number(a.status === "critical"));
    return checks;
  }, [checks, order, phone]);
  return { ordered, order };
}

/** The check whose sparkline is the SQL rollup of signals per minute rather than its own history. */
const SIGNALS: CheckId = "signals_recent";

/** The sparkline for one check: the last hour from history, then the live value. */
function trendOf(check: CheckResult, history: HealthHistory): { data: SparklineData; label: string } | null {
  if (check.id === SIGNALS && history.signalsPerMinute) {
    const points = history.signalsPerMinute;
    const ys = points.map((p) => p.count);
    const last = ys[ys.length - 1] ?? 0;
    return {
      data: { xs: points.map((p) => Date.parse(p.minute) / 1000), ys },
      label: `Signals per minute over the last hour: between ${Math.min(...ys)} and ${Math.max(...ys)}, ${last} this minute`,
    };
  }
  const buckets = history.checks[check.id] ?? [];
  const numeric = typeof check.value === "number" || buckets.some((b) => b.value !== null);
  const xs = buckets.map((b) => Date.parse(b.t) / 1000);
  // Non-numeric checks (the circuit's state) plot their status level: 0 ok, 1 warn, 2 critical.
  const ys = buckets.map((b) => (numeric ? b.value : LEVEL[b.status]));
  const t = Date.parse(check.observedAt) / 1000;
  if (!xs.length || t > xs[xs.length - 1]!) {
    xs.push(t);
    ys.push(numeric ? (typeof check.value === "number" ? check.value : null) : LEVEL[check.status]);
  }
  if (xs.length < 2) return null;
  const known = ys.filter((y): y is number => y !== null);
  const span = formatDuration(xs[xs.length - 1]! - xs[0]!);
  return {
    data: { xs, ys },
    label: numeric
      ? `${check.title} over the last ${span}: between ${Math.min(...known)} and ${Math.max(...known)} ${check.unit}`
      : `${check.title} status over the last ${span}`,
  };
}

export function HealthBoard({ initial, initialHistory, canAct }: { initial: Snapshot; initialHistory: HealthHistory; canAct: boolean }) {
  const { data, isError, error, dataUpdatedAt } = useHealth(initial);
  const history = useHealthHistory(initialHistory);
  const now = useNow(1000);
  const router = useRouter();
  useEffect(() => {
    // Session over: back through sign-in, returning here.
    if (error instanceof SignedOutError || history.error instanceof SignedOutError) {
      router.replace(`/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
    }
  }, [error, history.error, router]);

  // Stale: the last refresh failed, or no fresh data for three intervals (a hung request).
  const stale = isError || now - dataUpdatedAt > 3 * data.refreshSeconds * 1000;
  const critical = data.checks.filter((c) => c.status === "critical").length;
  useEffect(() => {
    // The tab title carries the count, for the on-call with another tab in front.
    document.title = critical ? `(${critical} critical) Recovery Console` : "Recovery Console";
  }, [critical]);

  const trends = useMemo(() => new Map(data.checks.map((c) => [c.id, trendOf(c, history.data)])), [data, history.data]);
  const { ordered, order } = usePanelOrder(data.checks);

  return (
    <div>
      <p aria-live="polite" className="mb-2 min-h-5 text-sm font-medium text-amber-800 dark:text-amber-300" data-testid="refresh-error">
        {stale
          ? `Refresh failing${error ? ` (${error.message})` : ""}; showing the last good data from ${Math.round((now - dataUpdatedAt) / 1000)} s ago.`
          : ""}
      </p>
      <HealthSummary checks={data.checks} now={now} />
      <div className="mb-2 flex justify-end">
        <label className="inline-flex items-center gap-1 text-xs">
          <span>Order panels</span>
          <select
            value={order}
            onChange={(e) => setOrder(e.target.value === "worst" ? "worst" : "configured")}
            data-testid="panel-order"
            className="rounded border border-zinc-400 bg-white px-1 py-0.5 text-zinc-900 dark:border-zinc-500 dark:bg-zinc-900 dark:text-zinc-100"
          >
            <option value="configured">as configured</option>
            <option value="worst">worst first</option>
          </select>
        </label>
      </div>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {ordered.map((c) => (
          <CheckPanel key={c.id} check={c} stale={stale} now={now} trend={trends.get(c.id) ?? null} canAct={canAct} />
        ))}
      </div>
    </div>
  );
}
