"use client";
/**
 * The incident page's live part (issue 18, point 9), as the dashboard is live: the incident's
 * status and level (polled from /api/incidents/<id>/now) and the current values of its checks
 * (the dashboard's own health query). Server-rendered first, so the page is right before the
 * scripts load.
 */
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import type { Snapshot } from "@/lib/recovery/health/snapshot";
import type { IncidentNow } from "@/lib/recovery/data";
import { useHealth } from "../data/health-query";
import { useLiveQuery } from "../data/fetch-json";
import { formatDuration } from "../format";
import { StatusBadge } from "../status-badge";

const POLL_MS = 5000;

export function IncidentLive({ initial, initialHealth, resolvedText }: { initial: IncidentNow; initialHealth: Snapshot; resolvedText: string }) {
  const { data } = useLiveQuery(["incident", initial.incident.id], `/api/incidents/${initial.incident.id}/now`, initial, POLL_MS);
  const health = useHealth(initialHealth);
  const router = useRouter();
  const i = data.incident;
  // Resolved while open on screen: the rest of the page (times, report, controls) is read again once.
  const was = useRef(initial.incident.status);
  useEffect(() => {
    if (was.current === "open" && i.status === "resolved") router.refresh();
    was.current = i.status;
  }, [i.status, router]);
  const checks = health.data.checks.filter((c) => i.checkIds.includes(c.id));
  return (
    <>
      <p className="mt-1" data-testid="incident-status" data-level={i.currentLevel} data-status={i.status} aria-live="polite">
        {i.status === "open" ? (
          <span className="font-semibold text-red-700 dark:text-red-300">
            Open, level {i.currentLevel}: {i.asks.replace(/^L\d: /, "")}
            {i.nextLevelInMs !== null && (
              <span className="font-normal">
                {" "}
                · L{i.currentLevel + 1} in {formatDuration(i.nextLevelInMs / 1000)}
              </span>
            )}
          </span>
        ) : (
          <span className="font-semibold text-green-700 dark:text-green-300">{resolvedText}</span>
        )}
      </p>
      {checks.length > 0 && (
        <ul className="mt-2 flex flex-wrap gap-2 text-sm" data-testid="incident-checks" aria-label="Its checks now">
          {checks.map((c) => (
            <li
              key={c.id}
              data-testid={`incident-check-${c.id}`}
              data-status={c.status}
              className="flex items-center gap-2 rounded-md border border-zinc-300 px-2 py-1 dark:border-zinc-600"
            >
              <a href={`/#panel-${c.id}`} className="underline">
                {c.title}
              </a>
              <span className="font-mono tabular-nums" data-testid="incident-check-value">
                {c.value ?? "—"}
                {c.value !== null && c.unit ? ` ${c.unit}` : ""}
              </span>
              <StatusBadge status={c.status} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
