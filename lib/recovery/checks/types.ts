/** The shape every health check yields (ids are part of the public API). */
export type CheckStatus = "ok" | "warn" | "critical" | "unknown";

export type CheckResult = {
  id: string;
  title: string;
  status: CheckStatus;
  value: number | string | null;
  unit: string;
  /** One line a tired human can read. */
  summary: string;
  /** The threshold in words, e.g. "critical when 0 in the last 300 s". */
  threshold: string;
  detail: Record<string, unknown>;
  observedAt: string;
  durationMs: number;
  /** Runbook scenario this check detects (1-5), if any. */
  scenario: number | null;
  error?: { code: string; message: string };
  /**
   * When the current status began, from the monitor's history. An `unknown` in between does not
   * break a run (a critical check that could not be read for one refresh is still critical since
   * the same time). `exact` is false when the status was already there at the console's first
   * observation: it began at or before `at`.
   */
  since?: { at: string; exact: boolean };
  /** For an `unknown` check: the last reading that was not unknown, kept on screen. */
  lastKnown?: { status: Exclude<CheckStatus, "unknown">; value: CheckResult["value"]; unit: string; summary: string; observedAt: string };
};

/**
 * What a check's `run` returns; the runner adds id, title, timing and error handling. A check
 * may return `unknown` itself (with an error) when it has partial information worth showing.
 */
export type CheckReading = Pick<CheckResult, "status" | "value" | "unit" | "summary" | "threshold" | "detail" | "error">;

/** Ranks statuses from best to worst, for "the worst of" and sorting. */
export const severity: Record<CheckStatus, number> = { ok: 0, unknown: 1, warn: 2, critical: 3 };

export type CheckDefinition = {
  id: string;
  title: string;
  scenario: number | null;
  /** Client-side deadline for this check alone. */
  timeoutMs?: number;
  run(signal: AbortSignal): Promise<CheckReading>;
};
