"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import type { StatusDto, StatusLevel } from "@/lib/recovery/health/status";
import { Time } from "../time";
import { describeDuration } from "./describe";
import { SignedOutError } from "../data/fetch-json";
import { useNow } from "../use-now";
import { useStatus } from "./status-query";

/** Colour, icon and word together: never colour alone. */
const LOOK: Record<StatusLevel, { word: string; icon: string; banner: string; chip: string }> = {
  operational: {
    word: "Operational",
    icon: "✓",
    banner: "border-ok bg-ok/10",
    chip: "bg-ok/15 text-green-800 ring-ok/40 dark:text-green-300",
  },
  degraded: {
    word: "Degraded",
    icon: "!",
    banner: "border-warn bg-warn/15",
    chip: "bg-warn/20 text-amber-900 ring-warn/50 dark:text-amber-200",
  },
  outage: {
    word: "Outage",
    icon: "✕",
    banner: "border-critical bg-critical/10",
    chip: "bg-critical/15 text-red-800 ring-critical/50 dark:text-red-300",
  },
  unknown: {
    word: "Unknown",
    icon: "?",
    banner: "border-unknown bg-unknown/10",
    chip: "bg-unknown/15 text-zinc-700 ring-unknown/40 dark:text-zinc-300",
  },
};

function Chip({ level }: { level: StatusLevel }) {
  const l = LOOK[level];
  return (
    <span
      data-testid="area-level"
      data-level={level}
      className={`inline-flex shrink-0 items-center gap-1 rounded-full px-2.5 py-0.5 text-sm font-semibold ring-1 ${l.chip}`}
    >
      <span aria-hidden="true">{l.icon}</span>
      {l.word}
    </span>
  );
}

/**
 * The stakeholder status page: one sentence at the top, one line per area, the time of the last
 * update. Read-only by design: no controls but the browser's own.
 */
export function StatusView({ initial }: { initial: StatusDto }) {
  const { data, isError, error } = useStatus(initial);
  const router = useRouter();
  const now = useNow(10_000);
  useEffect(() => {
    if (error instanceof SignedOutError) router.replace("/login?callbackUrl=%2Fstatus");
  }, [error, router]);
  const { overall, areas, incident } = data;
  const ageSeconds = Math.max(0, Math.round((now - Date.parse(data.generatedAt)) / 1000));
  return (
    <div className="space-y-4">
      <section
        aria-labelledby="status-headline"
        data-testid="status-overall"
        data-level={overall.level}
        className={`rounded-xl border-l-8 p-4 shadow-sm sm:p-6 ${LOOK[overall.level].banner}`}
      >
        <p className="text-sm font-medium text-zinc-600 dark:text-zinc-400">DistortSignals trading</p>
        <h1 id="status-headline" className="mt-1 text-2xl font-bold leading-tight sm:text-3xl" aria-live="polite">
          <span aria-hidden="true" className="mr-2">
            {LOOK[overall.level].icon}
          </span>
          <span data-testid="status-headline">{overall.headline}</span>
        </h1>
        {overall.since ? (
          <p className="mt-2 text-base" data-testid="status-since" suppressHydrationWarning>
            Since <Time iso={overall.since} style="clock" /> ({describeDuration(Math.max(0, now - Date.parse(overall.since)))})
          </p>
        ) : null}
        {incident ? (
          <p className="mt-2 text-base font-semibold" data-testid="status-incident" suppressHydrationWarning>
            Incident level {incident.level}, open for {describeDuration(now - Date.parse(incident.startedAt))}
          </p>
        ) : null}
        {incident?.publicNotes?.length ? (
          <ul className="mt-2 space-y-1 text-sm" data-testid="status-notes">
            {incident.publicNotes.map((n) => (
              <li key={n.at}>
                <span className="text-zinc-500 dark:text-zinc-400" suppressHydrationWarning>
                  <Time iso={n.at} style="clock" />
                </span>{" "}
                {n.text}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <section aria-labelledby="areas-title">
        <h2 id="areas-title" className="mb-2 text-lg font-semibold">
          By area
        </h2>
        <ul className="divide-y divide-zinc-200 overflow-hidden rounded-xl border border-zinc-200 bg-white dark:divide-zinc-800 dark:border-zinc-800 dark:bg-zinc-900">
          {areas.map((a) => (
            <li key={a.id} data-testid={`area-${a.id}`} data-level={a.level} className="flex flex-wrap items-center justify-between gap-2 p-4">
              <div className="min-w-0">
                <p className="font-semibold">{a.name}</p>
                <p className="text-sm text-zinc-700 dark:text-zinc-300" data-testid="area-summary">
                  {a.summary}
                  {a.since ? (
                    <span className="text-zinc-500 dark:text-zinc-400" suppressHydrationWarning>
                      {" "}
                      · since <Time iso={a.since} style="clock" /> ({describeDuration(Math.max(0, now - Date.parse(a.since)))})
                    </span>
                  ) : null}
                </p>
              </div>
              {a.monitored ? <Chip level={a.level} /> : <span className="text-sm text-zinc-500 dark:text-zinc-400">Not monitored</span>}
            </li>
          ))}
        </ul>
      </section>

      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="status-updated" suppressHydrationWarning>
        Last updated at <Time iso={data.generatedAt} style="clock-seconds" /> ({ageSeconds < 5 ? "just now" : `${ageSeconds} s ago`}); this page refreshes by
        itself.
      </p>
      <p aria-live="polite" className="min-h-5 text-sm text-amber-800 dark:text-amber-300" data-testid="status-refresh-error">
        {isError && !(error instanceof SignedOutError) ? "Cannot reach the console right now; showing the last known status." : ""}
      </p>
    </div>
  );
}
