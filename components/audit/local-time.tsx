"use client";
/**
 * Times in the viewer's time zone, with UTC on hover. The server does not know the viewer's zone,
 * so it renders UTC and the browser swaps in local time after hydration (useSyncExternalStore's
 * server snapshot: no hydration mismatch).
 */
import { useSyncExternalStore } from "react";

const noSubscribe = () => () => {};

let localFormat: Intl.DateTimeFormat | undefined;
function formatLocal(iso: string): string {
  localFormat ??= new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  return localFormat.format(new Date(iso));
}

/** "2026-01-03 14:02:00.000 UTC" */
export function formatUtc(iso: string): string {
  return `${iso.replace("T", " ").replace("Z", "")} UTC`;
}

export function LocalTime({ iso }: { iso: string }) {
  const local = useSyncExternalStore(
    noSubscribe,
    () => formatLocal(iso),
    () => null,
  );
  const utc = formatUtc(iso);
  return (
    <time dateTime={iso} title={utc} className="whitespace-nowrap tabular-nums">
      {local ?? utc}
    </time>
  );
}

/** The viewer's time zone name, e.g. "Europe/Paris" (UTC until hydrated). */
export function ViewerTimeZone() {
  const zone = useSyncExternalStore(
    noSubscribe,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    () => "UTC",
  );
  return <span data-testid="viewer-time-zone">{zone}</span>;
}
