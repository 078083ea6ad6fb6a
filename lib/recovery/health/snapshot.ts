import "server-only";
/**
 * One shared health snapshot per process.
 *
 * Every viewer reads the same snapshot; at most one evaluation runs at a time (single-flight)
 * and a new one starts only when the last is older than HEALTH_REFRESH_SECONDS. So the trading
 * DB sees the same load with 1 or 100 browsers open.
 *
 * Each check runs under its own deadline and the results are combined with allSettled: a slow
 * or failing check becomes `unknown` with its error and never delays or blanks the others:
 * during an incident the panels that still read are the ones the on-call needs.
 *
 * The monitor also keeps the last hour of readings per check in memory (for sparklines and for
 * "critical since 14:02"), and a one-minute rollup of signals from SQL, fetched at most every
 * 30 s whatever the number of viewers.
 *
 * Several instances (docs/deploying.md) share one evaluation per interval through the console
 * store: the instance that leads incident evaluation (lib/recovery/incidents/evaluator.ts) evaluates
 * and publishes; the others serve the published snapshot while it is fresh, folding its readings
 * into their own history, and evaluate by themselves only when it is stale or cannot be read.
 */
import os from "node:os";
import { env, type Env } from "../../env.ts";
import { DbError } from "../../db/errors.ts";
import { recordError, withSpan } from "../../trace.ts";
import { mergeSharedCheck, publishSharedSnapshot, readSharedSnapshot } from "../../db/queries/shared-snapshot.ts";
import type { SharedSnapshotRow } from "../../db/types.ts";
import { getSignalsPerMinute, signalsPerMinuteQuery, type MonitoringQuery } from "../../db/queries/trading.ts";
import { checks as defaultChecks } from "./checks/index.ts";
import { severity, type CheckDefinition, type CheckModule, type CheckResult, type CheckStatus } from "./checks/types.ts";

export type Snapshot = {
  generatedAt: string;
  refreshSeconds: number;
  checks: CheckResult[];
  /** With a shared snapshot (several instances): "local" when this instance evaluated it, "shared" when it serves another's. */
  source?: "local" | "shared";
  /** With a shared snapshot: the instance ("host:pid") that evaluated it. */
  evaluatedBy?: string;
};

export type HistoryPoint = { t: string; status: CheckResult["status"]; value: CheckResult["value"] };

/** One bucket of a check's history: the last numeric value in it, and the worst status. */
export type HistoryBucket = { t: string; value: number | null; status: CheckStatus };

export type SignalsPerMinute = { minute: string; count: number }[];

/** `GET /api/health/history`: the sparklines' data. */
export type HealthHistory = {
  generatedAt: string;
  windowSeconds: number;
  bucketSeconds: number;
  checks: Record<string, HistoryBucket[]>;
  /** Signals per minute over the last hour, from SQL; null when the trading DB cannot be read. */
  signalsPerMinute: SignalsPerMinute | null;
  signalsPerMinuteError?: { code: string; message: string };
};

type RollupResult = { data: SignalsPerMinute | null; error?: { code: string; message: string } };

const HISTORY_MS = 60 * 60 * 1000;
/** The signals sparkline's window, read from SQL. */
const ROLLUP_MINUTES = 60;
/** At most this many buckets per check in the history answer (30 s each for an hour). */
const HISTORY_BUCKETS = 120;
/** The signals rollup is re-read at most this often. */
const ROLLUP_TTL_MS = 30_000;
/** A follower reads the shared snapshot at most this often, however many viewers ask. */
const SHARED_READ_EVERY_MS = 1000;
/** Deadlines on the console store for the shared snapshot: a slow store delays no answer by more. */
const SHARED_READ_TIMEOUT_MS = 1000;
const SHARED_WRITE_TIMEOUT_MS = 2000;
/**
 * How late the leader's next snapshot may be before a follower evaluates by itself, beyond the
 * interval: the leader's evaluations start an interval apart and each may take up to the check
 * deadline (a slow trading DB is exactly when followers must not pile on), plus this second for
 * the publication and the follower's own read pace.
 */
const SHARED_SLACK_MS = 1000;

/** A short, public error: typed errors keep their code, anything else is a generic check error. */
function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof DbError) return { code: err.code, message: err.publicMessage };
  if (err instanceof Error && err.name === "TimeoutError") return { code: "check.timeout", message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  // Domain errors (e.g. the trade-director client's `td.timeout`) carry a dotted code of their own.
  if (err instanceof Error && typeof code === "string" && /^[a-z]+\.[a-z_]+$/.test(code)) return { code, message: err.message };
  return { code: "check.error", message: err instanceof Error ? err.message : String(err) };
}

function unknownResult(def: CheckDefinition, err: unknown, durationMs: number): CheckResult {
  const info = errorInfo(err);
  return {
    id: def.id,
    title: def.title,
    scenario: def.scenario,
    ...(def.metricUnit ? { metricUnit: def.metricUnit } : {}),
    status: "unknown",
    value: null,
    unit: "",
    summary: `Unknown: ${info.message}`,
    threshold: "",
    detail: {},
    observedAt: new Date().toISOString(),
    durationMs,
    error: info,
  };
}

export function runCheck(def: CheckDefinition, defaultTimeoutMs: number): Promise<CheckResult> {
  return withSpan(`check ${def.id}`, { "recovery.check.id": def.id }, async (span) => {
    const result = await runCheckUntraced(def, defaultTimeoutMs);
    span.setAttribute("recovery.check.status", result.status);
    if (result.error) recordError(span, { name: "CheckError", code: result.error.code });
    return result;
  });
}

async function runCheckUntraced(def: CheckDefinition, defaultTimeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = def.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const base = { id: def.id, title: def.title, scenario: def.scenario, ...(def.metricUnit ? { metricUnit: def.metricUnit } : {}) };
  try {
    const reading = await Promise.race([
      def.run(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new Error(`no answer within ${timeoutMs} ms`);
          err.name = "TimeoutError";
          controller.abort(err);
          reject(err);
        }, timeoutMs);
      }),
    ]);
    return {
      ...base,
      ...reading,
      detail: reading.detail as Record<string, unknown>,
      observedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    // Expected failures (a database or dependency down, a deadline) are shown on the panel;
    // anything else is a bug and is logged in full.
    if (errorInfo(err).code === "check.error") console.error(`[health] check ${def.id} failed:`, err);
    return unknownResult(def, err, Math.round(performance.now() - started));
  } finally {
    clearTimeout(timer);
  }
}

/** Per check: the run of the current status, and the last reading that was not unknown. */
type Run = {
  status: CheckStatus;
  since: string;
  exact: boolean;
  /** The run of the last known (not unknown) status, which an unknown does not interrupt. */
  known: { status: Exclude<CheckStatus, "unknown">; since: string; exact: boolean; last: NonNullable<CheckResult["lastKnown"]> } | null;
};

export type MonitorOptions = {
  refreshSeconds: number;
  checkTimeoutMs: number;
  /** The signals-per-minute rollup (defaults to the SQL query); injectable for tests. */
  signalsPerMinute?: () => Promise<SignalsPerMinute>;
  /** Where the snapshot is shared with the other instances (the console store); none: this instance alone. */
  share?: SnapshotShare;
  /** Follow the shared snapshot from the start (an instance that runs no incident evaluator, so never leads). */
  follow?: boolean;
};

/** The shared snapshot's store, and this instance's name in it (lib/db/queries/shared-snapshot.ts). */
export type SnapshotShare = {
  instance: string;
  read(): Promise<SharedSnapshotRow | null>;
  publish(snapshot: Snapshot): Promise<void>;
  /** Put one check's new reading into the shared snapshot (after an action). */
  merge(check: CheckResult): Promise<void>;
};

export class HealthMonitor {
  private current: Snapshot | null = null;
  private inFlight: Promise<Snapshot> | null = null;
  private readonly history = new Map<string, HistoryPoint[]>();
  /** The newest result per check, with the time its run started (an older start never wins). */
  private readonly latest = new Map<string, { started: number; result: CheckResult }>();
  private readonly runs = new Map<string, Run>();
  private rollup: { at: number; value: Promise<RollupResult> } | null = null;
  /** Number of evaluations run; lets tests prove single-flight. */
  evaluations = 0;
  /** Shared snapshots taken from another instance's evaluation instead of evaluating here. */
  sharedReads = 0;
  /**
   * Set by this process's incident evaluator at each tick. "alone" (no evaluator, as in tests and
   * scripts) evaluates here as a lone instance does; a follower serves the leader's shared snapshot.
   */
  private role: "alone" | "leader" | "follower" = "alone";
  /** The last read of the shared snapshot: shared by every caller until SHARED_READ_EVERY_MS after it settled. */
  private followed: { settledAt: number; value: Promise<Snapshot | null> } | null = null;
  /** The shared row last taken (revision and generatedAt), and per check the observedAt folded from it. */
  private followedKey = "";
  private readonly adopted = new Map<string, string>();
  private shareFailing = false;
  readonly startedAt = new Date().toISOString();

  constructor(
    private readonly defs: readonly CheckDefinition[],
    private readonly opts: MonitorOptions,
  ) {
    if (opts.follow) this.role = "follower";
  }

  get refreshSeconds(): number {
    return this.opts.refreshSeconds;
  }

  /**
   * Set by the incident evaluator at each tick: the leader evaluates and publishes; any other
   * instance follows the shared snapshot while it is fresh.
   */
  setLeading(leading: boolean): void {
    this.role = leading ? "leader" : "follower";
  }

  /** A shared snapshot older than this (by the store's clock) is stale: the leader has stopped publishing. */
  get sharedStaleAfterMs(): number {
    return this.opts.refreshSeconds * 1000 + this.opts.checkTimeoutMs + SHARED_SLACK_MS;
  }

  /**
   * The current snapshot, evaluating first if it is older than the refresh interval. A follower
   * (sharing, and not the leader) serves the shared snapshot while it is fresh instead.
   */
  async get(): Promise<Snapshot> {
    if (this.opts.share && this.role === "follower") {
      const shared = await this.follow();
      if (shared) return shared;
    }
    const c = this.current;
    if (c && c.source !== "shared" && Date.now() - Date.parse(c.generatedAt) < this.opts.refreshSeconds * 1000) return c;
    return this.evaluate();
  }

  /** Evaluate now, or join the evaluation in flight. */
  evaluate(): Promise<Snapshot> {
    this.inFlight ??= withSpan("health.evaluate", {}, () => this.run())
      .then((s) => this.publish(s))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Re-run one check at once (after an action) and fold it into the snapshot. */
  async refreshCheck(id: string): Promise<CheckResult | null> {
    const def = this.defs.find((d) => d.id === id);
    if (!def) return null;
    const started = Date.now();
    const result = this.fold(await runCheck(def, this.opts.checkTimeoutMs), started);
    if (this.current) {
      this.current = { ...this.current, checks: this.current.checks.map((r) => (r.id === id ? this.latest.get(id)!.result : r)) };
    }
    const share = this.opts.share;
    if (share) {
      // Every instance shows the new reading at its next read of the shared snapshot, not at the next evaluation.
      this.followed = null;
      void share.merge(this.latest.get(id)!.result).then(
        () => this.shareOk(),
        (err: unknown) => this.shareFailed("merge a check into", err),
      );
    }
    return result;
  }

  /** After a local evaluation: name its source and publish it, without waiting (a store failure is only logged). */
  private publish(s: Snapshot): Snapshot {
    const share = this.opts.share;
    if (!share) return s;
    const snapshot: Snapshot = { ...s, source: "local", evaluatedBy: share.instance };
    if (this.current === s) this.current = snapshot;
    void share.publish(snapshot).then(
      () => this.shareOk(),
      (err: unknown) => this.shareFailed("publish", err),
    );
    return snapshot;
  }

  /** The shared snapshot when fresh, else null; read at most once per SHARED_READ_EVERY_MS whatever the callers. */
  private follow(): Promise<Snapshot | null> {
    const f = this.followed;
    if (f && Date.now() - f.settledAt < SHARED_READ_EVERY_MS) return f.value;
    const entry = { settledAt: Infinity, value: this.readShared() };
    void entry.value.finally(() => (entry.settledAt = Date.now()));
    this.followed = entry;
    return entry.value;
  }

  private async readShared(): Promise<Snapshot | null> {
    let row: SharedSnapshotRow | null;
    try {
      row = await this.opts.share!.read();
      this.shareOk();
    } catch (err) {
      this.shareFailed("read", err);
      return null;
    }
    if (!row || row.ageMs > this.sharedStaleAfterMs || !isSnapshot(row.snapshot)) return null;
    return this.adopt(row, row.snapshot);
  }

  /**
   * Serve a fresh shared snapshot: its readings go into this instance's history and status runs
   * (sparklines, "critical since", and a continuous history should this instance take over), once
   * each; a reading taken here since (a check re-run after an action) is newer and wins.
   */
  private adopt(row: SharedSnapshotRow, snap: Snapshot): Snapshot {
    const here = row.evaluatedBy === this.opts.share!.instance;
    const key = `${row.revision}|${snap.generatedAt}`;
    if (key !== this.followedKey) {
      this.followedKey = key;
      if (!here) this.sharedReads++;
      for (const c of snap.checks) {
        if (this.adopted.get(c.id) === c.observedAt || this.latest.get(c.id)?.result.observedAt === c.observedAt) continue;
        this.adopted.set(c.id, c.observedAt);
        this.fold(c, Date.parse(c.observedAt) - c.durationMs);
      }
    }
    const checks = snap.checks.map((c) => {
      const mine = this.latest.get(c.id)?.result;
      return mine && mine.observedAt > c.observedAt ? mine : c;
    });
    const snapshot: Snapshot = {
      generatedAt: snap.generatedAt,
      refreshSeconds: snap.refreshSeconds,
      checks,
      source: here ? "local" : "shared",
      evaluatedBy: row.evaluatedBy,
    };
    this.current = snapshot;
    return snapshot;
  }

  /** Console-store trouble with the shared snapshot is logged once when it starts, and once when it ends. */
  private shareFailed(what: string, err: unknown): void {
    if (this.shareFailing) return;
    this.shareFailing = true;
    console.warn(`[health] could not ${what} the shared snapshot in the console store (evaluating here meanwhile): ${errorInfo(err).message}`);
  }

  private shareOk(): void {
    if (!this.shareFailing) return;
    this.shareFailing = false;
    console.warn("[health] the shared snapshot is reachable again in the console store");
  }

  historyOf(id: string): HistoryPoint[] {
    return this.history.get(id) ?? [];
  }

  /** The last hour per check in at most HISTORY_BUCKETS buckets, and the signals rollup. */
  async historySnapshot(): Promise<HealthHistory> {
    const bucketMs = Math.max(this.opts.refreshSeconds * 1000, Math.ceil(HISTORY_MS / HISTORY_BUCKETS / 1000) * 1000);
    const checks: Record<string, HistoryBucket[]> = {};
    for (const def of this.defs) checks[def.id] = bucketize(this.historyOf(def.id), bucketMs);
    const rollup = await this.signalsRollup();
    return {
      generatedAt: new Date().toISOString(),
      windowSeconds: HISTORY_MS / 1000,
      bucketSeconds: bucketMs / 1000,
      checks,
      signalsPerMinute: rollup.data,
      ...(rollup.error ? { signalsPerMinuteError: rollup.error } : {}),
    };
  }

  /** The SQL rollup, shared by every caller for ROLLUP_TTL_MS (errors included: a down DB is not hammered). */
  private signalsRollup(): Promise<RollupResult> {
    const load = this.opts.signalsPerMinute;
    if (!load) return Promise.resolve({ data: null });
    if (this.rollup && Date.now() - this.rollup.at < ROLLUP_TTL_MS) return this.rollup.value;
    const value = load().then(
      (data): RollupResult => ({ data }),
      (err: unknown): RollupResult => ({ data: null, error: errorInfo(err) }),
    );
    this.rollup = { at: Date.now(), value };
    return value;
  }

  private async run(): Promise<Snapshot> {
    this.evaluations++;
    const started = Date.now();
    const settled = await Promise.allSettled(this.defs.map((d) => runCheck(d, this.opts.checkTimeoutMs)));
    settled.forEach((s, i) => this.fold(s.status === "fulfilled" ? s.value : unknownResult(this.defs[i]!, s.reason, 0), started));
    const snapshot: Snapshot = {
      generatedAt: new Date().toISOString(),
      refreshSeconds: this.opts.refreshSeconds,
      checks: this.defs.map((d) => this.latest.get(d.id)!.result),
    };
    this.current = snapshot;
    return snapshot;
  }

  /**
   * Record a result: history, the status run ("since"), the last known reading, and the newest
   * result per check. A result whose run started before the one already held (an evaluation that
   * began before an action's refreshCheck) goes into history but does not replace it.
   */
  private fold(raw: CheckResult, started: number): CheckResult {
    const list = this.history.get(raw.id) ?? [];
    list.push({ t: raw.observedAt, status: raw.status, value: raw.value });
    const cutoff = Date.now() - HISTORY_MS;
    while (list.length && Date.parse(list[0]!.t) < cutoff) list.shift();
    this.history.set(raw.id, list);

    const held = this.latest.get(raw.id);
    if (held && held.started > started) return held.result;

    const prev = this.runs.get(raw.id);
    let run: Run;
    if (raw.status === "unknown") {
      run = prev?.status === "unknown" ? prev : { status: "unknown", since: raw.observedAt, exact: prev !== undefined, known: prev?.known ?? null };
    } else {
      const status = raw.status;
      const last = { status, value: raw.value, unit: raw.unit, summary: raw.summary, observedAt: raw.observedAt };
      // An unknown in between does not interrupt a run of the same known status.
      const continues = prev?.known?.status === status && (prev.status === status || prev.status === "unknown");
      // A status first seen right after start-up or after an unknown began at or before that moment.
      const known = continues ? { ...prev!.known!, last } : { status, since: raw.observedAt, exact: prev !== undefined && prev.status !== "unknown", last };
      run = { status, since: known.since, exact: known.exact, known };
    }
    this.runs.set(raw.id, run);
    const result: CheckResult = {
      ...raw,
      since: { at: run.since, exact: run.exact },
      ...(raw.status === "unknown" && run.known ? { lastKnown: run.known.last } : {}),
    };
    this.latest.set(raw.id, { started, result });
    return result;
  }
}

/** Group points into fixed buckets: the last numeric value and the worst status of each. */
export function bucketize(points: HistoryPoint[], bucketMs: number): HistoryBucket[] {
  const out: HistoryBucket[] = [];
  let key = Number.NaN;
  for (const p of points) {
    const k = Math.floor(Date.parse(p.t) / bucketMs);
    const value = typeof p.value === "number" ? p.value : null;
    const last = out[out.length - 1];
    if (k !== key || !last) {
      out.push({ t: new Date(k * bucketMs).toISOString(), value, status: p.status });
      key = k;
    } else {
      if (value !== null) last.value = value;
      if (severity[p.status] > severity[last.status]) last.status = p.status;
    }
  }
  return out;
}

const g = globalThis as unknown as { __rcHealth?: HealthMonitor; __rcHealthChecks?: readonly CheckModule[] };

/** The checks the process-wide monitor runs: the registry (tests may set others, resetHealthMonitor). */
export function monitoredChecks(): readonly CheckModule[] {
  return g.__rcHealthChecks ?? defaultChecks;
}

/** A snapshot as another instance wrote it: the shape this one relies on before serving it. */
function isSnapshot(v: unknown): v is Snapshot {
  const s = v as Partial<Snapshot> | null;
  return (
    typeof s?.generatedAt === "string" &&
    typeof s.refreshSeconds === "number" &&
    Array.isArray(s.checks) &&
    s.checks.every((c) => typeof c?.id === "string" && typeof c.observedAt === "string" && typeof c.status === "string" && typeof c.durationMs === "number")
  );
}

/** The shared snapshot in the console store, with this process's name in it. */
export function consoleStoreShare(): SnapshotShare {
  const instance = `${os.hostname()}:${process.pid}`;
  return {
    instance,
    read: () => readSharedSnapshot({ timeoutMs: SHARED_READ_TIMEOUT_MS }),
    publish: (snapshot) => publishSharedSnapshot({ snapshot, evaluatedBy: instance }, { timeoutMs: SHARED_WRITE_TIMEOUT_MS }),
    merge: (check) => mergeSharedCheck(check, { timeoutMs: SHARED_WRITE_TIMEOUT_MS }),
  };
}

/** The process-wide monitor. */
export function healthMonitor(): HealthMonitor {
  if (!g.__rcHealth) {
    const e = env();
    g.__rcHealth = new HealthMonitor(monitoredChecks(), {
      refreshSeconds: e.HEALTH_REFRESH_SECONDS,
      checkTimeoutMs: Math.min(e.DB_STATEMENT_TIMEOUT_MS + 500, e.HEALTH_REFRESH_SECONDS * 1000),
      signalsPerMinute: () => getSignalsPerMinute({ minutes: ROLLUP_MINUTES, timeoutMs: 3000 }),
      share: consoleStoreShare(),
      // An instance with no incident evaluator never leads: it follows whichever instance does.
      follow: !e.INCIDENT_EVALUATOR_ENABLED,
    });
  }
  return g.__rcHealth;
}

/**
 * Every read of the trading tables the monitor makes, built exactly as the checks build them with
 * the thresholds of `e` (each check module's `queries`), and the sparkline's rollup:
 * tests/db/plans.test.ts and `npm run bench` EXPLAIN each and require an index scan.
 */
export function monitoringQueries(e: Env, defs: readonly CheckModule[] = defaultChecks): MonitoringQuery[] {
  return [
    ...defs.flatMap((d) => d.queries?.(e) ?? []),
    { id: "signals_per_minute", check: "history", source: "the signals sparkline", build: (sql) => signalsPerMinuteQuery(sql, ROLLUP_MINUTES) },
  ];
}

/**
 * For tests: forget the process-wide monitor (its history and snapshot), so the next call builds a
 * new one from the current env, running `checks` (the registry when not given).
 */
export function resetHealthMonitor(checks?: readonly CheckModule[]): void {
  g.__rcHealth = undefined;
  g.__rcHealthChecks = checks;
}
