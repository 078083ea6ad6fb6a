import type { Env } from "../../../env.ts";
import type { MonitoringQuery } from "../../../db/queries/trading.ts";
import type { ActionName } from "../../actions/types.ts";
import type { AreaId } from "../status.ts";
import type { CheckStatus } from "../../../db/types.ts";

/** The shape every health check yields (ids are part of the public API). The status type lives in lib/db/types.ts. */
export type { CheckStatus };

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
  /**
   * Set while the check has had no data since the console started and the warm-up window
   * (CHECK_WARMUP_SECONDS) has not passed: the status is then `unknown`, never critical (warmup.ts).
   */
  pending?: { until: string };
  /** The check's unit as a word that never changes with the value (the metrics' `unit` label); `unit` above is for reading. */
  metricUnit?: string;
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
export type CheckReading<Detail extends object = Record<string, unknown>> = Pick<
  CheckResult,
  "status" | "value" | "unit" | "summary" | "threshold" | "error" | "pending"
> & {
  detail: Detail;
};

/** The detail of a check whose source is not configured here (format.ts, notConfigured): a check that may read so has it in its `Detail`. */
export type NotConfiguredDetail = { configured: false; hint: string };

/** Ranks statuses from best to worst, for "the worst of" and sorting. */
export const severity: Record<CheckStatus, number> = { ok: 0, unknown: 1, warn: 2, critical: 3 };

/** Runbook scenario numbers (lib/recovery/runbook/model.ts). */
export type ScenarioNumber = 1 | 2 | 3 | 4 | 5;

/**
 * What a check reads. The bench times every check that reads a database against a growing trading
 * database; a check that reads the trading tables declares `queries`, which must use an index.
 */
export type CheckSource = "trading_tables" | "pg_stat_activity" | "console_store" | "http";

/**
 * One health check, whole: adding a check means adding one module of this type to the registry
 * (index.ts) and one renderer of its `Detail` (components/checks/registry.tsx).
 */
export type CheckModule<Id extends string = string, Detail extends object = object> = {
  id: Id;
  title: string;
  /** Client-side deadline for this check alone. */
  timeoutMs?: number;
  /**
   * What its numeric value counts, one fixed word ("directives", not "1 directive"): the `unit` label
   * of recovery_console_check_value (lib/recovery/health/metrics.ts), which must not change with the value.
   * Empty when the value is not a number.
   */
  metricUnit: string;
  /** The runbook scenario it detects (opens incidents; the panel shows that scenario's steps), if any. */
  scenario: ScenarioNumber | null;
  /** The status-page area it speaks for (lib/recovery/health/status.ts). */
  area: AreaId;
  /**
   * The status page's words when this check is what makes its area degraded or out, in place of the
   * area's generic ones (rejected orders are not "order execution delayed"). Plain words, lower case.
   */
  statusWords?: { degraded?: string; outage?: string };
  /** The guarded actions that treat its symptom: their panel is this check's, and they re-read it after their effect. */
  actions: readonly ActionName[];
  /** What it reads (the bench and the plans test select checks by it). */
  reads: readonly CheckSource[];
  /**
   * Its reads of the trading tables, built exactly as `run` builds them with the thresholds of `e`:
   * tests/db/plans.test.ts and the bench EXPLAIN each and require an index scan.
   */
  queries?(e: Env): MonitoringQuery[];
  run(signal: AbortSignal): Promise<CheckReading<Detail>>;
};

/** What the snapshot needs of a check to run it (lib/recovery/health/snapshot.ts). */
export type CheckDefinition = {
  id: string;
  title: string;
  scenario: number | null;
  /** Client-side deadline for this check alone. */
  timeoutMs?: number;
  /** See CheckModule.metricUnit. */
  metricUnit?: string;
  run(signal: AbortSignal): Promise<CheckReading<object>>;
};

/** The detail type of a check module. */
export type DetailOf<M> = M extends CheckModule<string, infer D> ? D : never;
