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
};

/** What a check's `run` returns; the runner adds id, title, timing and error handling. */
export type CheckReading = Pick<CheckResult, "status" | "value" | "unit" | "summary" | "threshold" | "detail">;

export type CheckDefinition = {
  id: string;
  title: string;
  scenario: number | null;
  /** Client-side deadline for this check alone. */
  timeoutMs?: number;
  run(signal: AbortSignal): Promise<CheckReading>;
};
