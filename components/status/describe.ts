/** The status page's time words, in the reader's time zone (the DTO carries ISO times only). */

/**
 * "since 14:02 (18 min)": a start time in the reader's time zone and how long ago it was.
 * `timeZone` is for tests; browsers use their own.
 */
export function describeSince(sinceIso: string, nowMs: number, opts: { timeZone?: string; locale?: string } = {}): string {
  const since = Date.parse(sinceIso);
  const time = new Intl.DateTimeFormat(opts.locale ?? "en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: opts.timeZone }).format(since);
  return `since ${time} (${describeDuration(Math.max(0, nowMs - since))})`;
}

/** "less than a minute", "18 min", "2 h 5 min". */
export function describeDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}
