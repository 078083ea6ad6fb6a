"use client";
/**
 * The one way the console shows a moment in time (issue 18, point 8), on every page: the viewer's
 * local time with its zone named ("14:02:05 CET"), the exact UTC in a tooltip, or UTC everywhere
 * when the viewer chose so (the header's "Times in" setting, kept in this browser).
 *
 * The server knows neither the viewer's zone nor the setting, so it renders UTC, and the browser
 * swaps in the viewer's choice after hydration (useSyncExternalStore's server snapshot): no
 * hydration mismatch.
 */
import { useEffect, useRef, useSyncExternalStore } from "react";

export type TimeMode = "local" | "utc";
export type TimeStyle = "datetime" | "clock" | "clock-seconds";

const KEY = "rc.time-mode";
const EVENT = "rc:time-mode";

function readMode(): TimeMode {
  try {
    return window.localStorage.getItem(KEY) === "utc" ? "utc" : "local";
  } catch {
    return "local";
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(EVENT, onChange);
  window.addEventListener("storage", onChange);
  return () => {
    window.removeEventListener(EVENT, onChange);
    window.removeEventListener("storage", onChange);
  };
}

/** The viewer's choice; "server" while rendering on the server and hydrating (shown as UTC). */
export function useTimeMode(): TimeMode | "server" {
  return useSyncExternalStore(subscribe, readMode, () => "server" as const);
}

export function setTimeMode(mode: TimeMode): void {
  try {
    window.localStorage.setItem(KEY, mode);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  window.dispatchEvent(new Event(EVENT));
}

const two = (n: number) => String(n).padStart(2, "0");

/** "2026-01-03 14:02:05.123 UTC": the exact moment, for tooltips and the UTC setting's datetime. */
export function exactUtc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().replace("T", " ").replace("Z", "")} UTC`;
}

const localFormats = new Map<TimeStyle, Intl.DateTimeFormat>();
function localFormat(style: TimeStyle): Intl.DateTimeFormat {
  let f = localFormats.get(style);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, {
      ...(style === "datetime" ? { year: "numeric", month: "2-digit", day: "2-digit" } : {}),
      hour: "2-digit",
      minute: "2-digit",
      ...(style === "clock" ? {} : { second: "2-digit" }),
      hourCycle: "h23",
      timeZoneName: "short",
    });
    localFormats.set(style, f);
  }
  return f;
}

/** A moment as text: local with its zone named, or UTC. Pure; the server uses the UTC form. */
export function formatTime(iso: string, mode: TimeMode, style: TimeStyle = "datetime"): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (mode === "local") return localFormat(style).format(d);
  const clock =
    style === "clock" ? `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}` : `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return style === "datetime" ? `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${clock} UTC` : `${clock} UTC`;
}

/** A moment in the page: `<time>` with the machine-readable instant and the exact UTC on hover. */
export function Time({ iso, style = "datetime", className }: { iso: string; style?: TimeStyle; className?: string }) {
  const mode = useTimeMode();
  return (
    <time
      dateTime={iso}
      title={exactUtc(iso)}
      data-time-mode={mode}
      className={`${style === "datetime" ? "" : "whitespace-nowrap "}tabular-nums ${className ?? ""}`}
    >
      {formatTime(iso, mode === "server" ? "utc" : mode, style)}
    </time>
  );
}

/** The setting: local time (with the zone named) or UTC everywhere. */
export function TimeSetting() {
  const mode = useTimeMode();
  return (
    <label className="inline-flex items-center gap-1 text-xs">
      <span>Times in</span>
      <select
        value={mode === "utc" ? "utc" : "local"}
        onChange={(e) => setTimeMode(e.target.value === "utc" ? "utc" : "local")}
        data-testid="time-setting"
        className="rounded border border-zinc-400 bg-white px-1 py-0.5 text-zinc-900 dark:border-zinc-500 dark:bg-zinc-900 dark:text-zinc-100"
      >
        <option value="local">local time</option>
        <option value="utc">UTC</option>
      </select>
    </label>
  );
}

/** The zone times are shown in: the viewer's ("Europe/Paris"), or UTC (also until hydrated). */
export function ViewerTimeZone() {
  const mode = useTimeMode();
  const zone = useSyncExternalStore(
    subscribe,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    () => "UTC",
  );
  return <span data-testid="viewer-time-zone">{mode === "local" ? zone : "UTC"}</span>;
}

/**
 * Trusted HTML (the printable report, lib/recovery/incidents/report-html.ts) whose <time datetime>
 * elements are shown by the same formatter as the rest of the console, once hydrated.
 */
export function LocalizedHtml({ html, className, testId }: { html: string; className?: string; testId?: string }) {
  const ref = useRef<HTMLElement>(null);
  const mode = useTimeMode();
  useEffect(() => {
    if (mode === "server") return;
    for (const el of ref.current?.querySelectorAll<HTMLTimeElement>("time[datetime]") ?? []) {
      el.textContent = formatTime(el.dateTime, mode, "datetime");
      el.dataset.timeMode = mode;
    }
  }, [mode, html]);
  return <article ref={ref} className={className} data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}
