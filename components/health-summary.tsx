"use client";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { severity } from "@/lib/recovery/health/checks/types";
import { hasSince, SinceText } from "./check-panel";
import { StatusBadge } from "./status-badge";

/**
 * The five-second answer: how many checks are broken, which, since when. Each entry links to its
 * panel. Worst first.
 */
export function HealthSummary({ checks, now }: { checks: CheckResult[]; now: number }) {
  const problems = checks
    .filter((c) => c.status !== "ok" && c.detail.configured !== false)
    .sort((a, b) => severity[b.status] - severity[a.status] || Date.parse(a.since?.at ?? a.observedAt) - Date.parse(b.since?.at ?? b.observedAt));
  const count = (s: CheckResult["status"]) => checks.filter((c) => c.status === s && c.detail.configured !== false).length;
  const notConfigured = checks.filter((c) => c.detail.configured === false);
  const worst = problems[0]?.status ?? "ok";
  const counts = (
    [
      ["critical", count("critical")],
      ["warning", count("warn")],
      ["unknown", count("unknown")],
    ] as const
  ).filter(([, n]) => n > 0);
  return (
    <section
      aria-labelledby="summary-title"
      data-testid="health-summary"
      data-status={worst}
      className="mb-4 rounded-lg border border-zinc-200 bg-white p-3 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={worst} size="lg" />
        <h2 id="summary-title" className="font-semibold">
          {problems.length === 0 ? `All ${checks.length - notConfigured.length} checks OK` : counts.map(([w, n]) => `${n} ${w}`).join(" · ")}
        </h2>
        {notConfigured.length ? <span className="text-xs text-zinc-600 dark:text-zinc-400">({notConfigured.length} not configured)</span> : null}
      </div>
      {problems.length ? (
        <ul className="mt-2 space-y-1 text-sm">
          {problems.map((c) => (
            <li key={c.id} className="flex flex-wrap gap-x-2">
              <a href={`#panel-${c.id}`} className="font-medium text-sky-700 underline dark:text-sky-400">
                {c.title}
              </a>
              <span suppressHydrationWarning>{hasSince(c) ? <SinceText check={c} now={now} /> : c.status}</span>
              <span className="min-w-0 break-words text-zinc-600 dark:text-zinc-400">{c.summary}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
