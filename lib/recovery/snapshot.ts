import "server-only";
/**
 * One shared health snapshot per process.
 *
 * Every viewer reads the same snapshot; at most one evaluation runs at a time (single-flight)
 * and a new one starts only when the last is older than HEALTH_REFRESH_SECONDS. So the trading
 * DB sees the same load with 1 or 100 browsers open.
 *
 * Each check runs under its own deadline and the results are combined with allSettled: a slow
 * or failing check becomes `unknown` with its error and never delays or blanks the others
 * (STYLE.md example 9).
 */
import { env } from "../env.ts";
import { DbError } from "../db/errors.ts";
import { checks as defaultChecks } from "./checks/index.ts";
import type { CheckDefinition, CheckResult } from "./checks/types.ts";

export type Snapshot = {
  generatedAt: string;
  refreshSeconds: number;
  checks: CheckResult[];
};

export type HistoryPoint = { t: string; status: CheckResult["status"]; value: CheckResult["value"] };

const HISTORY_MS = 60 * 60 * 1000;

function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof DbError) return { code: err.code, message: err.publicMessage };
  if (err instanceof Error && err.name === "TimeoutError") return { code: "check.timeout", message: err.message };
  return { code: "check.error", message: err instanceof Error ? err.message : String(err) };
}

export async function runCheck(def: CheckDefinition, defaultTimeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = def.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const base = { id: def.id, title: def.title, scenario: def.scenario };
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
    return { ...base, ...reading, observedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const info = errorInfo(err);
    if (!(err instanceof DbError)) console.error(`[health] check ${def.id} failed:`, err);
    return {
      ...base,
      status: "unknown",
      value: null,
      unit: "",
      summary: `Unknown: ${info.message}`,
      threshold: "",
      detail: {},
      observedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      error: info,
    };
  } finally {
    clearTimeout(timer);
  }
}

export class HealthMonitor {
  private current: Snapshot | null = null;
  private inFlight: Promise<Snapshot> | null = null;
  private readonly history = new Map<string, HistoryPoint[]>();
  /** Number of evaluations run; lets tests prove single-flight. */
  evaluations = 0;

  constructor(
    private readonly defs: CheckDefinition[],
    private readonly opts: { refreshSeconds: number; checkTimeoutMs: number },
  ) {}

  get refreshSeconds(): number {
    return this.opts.refreshSeconds;
  }

  /** The current snapshot, evaluating first if it is older than the refresh interval. */
  async get(): Promise<Snapshot> {
    const c = this.current;
    if (c && Date.now() - Date.parse(c.generatedAt) < this.opts.refreshSeconds * 1000) return c;
    return this.evaluate();
  }

  /** Evaluate now, or join the evaluation in flight. */
  evaluate(): Promise<Snapshot> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Re-run one check at once (after an action) and fold it into the snapshot. */
  async refreshCheck(id: string): Promise<CheckResult | null> {
    const def = this.defs.find((d) => d.id === id);
    if (!def) return null;
    const result = await runCheck(def, this.opts.checkTimeoutMs);
    if (this.current) {
      this.current = { ...this.current, checks: this.current.checks.map((r) => (r.id === id ? result : r)) };
    }
    this.record(result);
    return result;
  }

  historyOf(id: string): HistoryPoint[] {
    return this.history.get(id) ?? [];
  }

  private async run(): Promise<Snapshot> {
    this.evaluations++;
    const settled = await Promise.allSettled(this.defs.map((d) => runCheck(d, this.opts.checkTimeoutMs)));
    const results = settled.map((s, i) =>
      s.status === "fulfilled"
        ? s.value
        : ({
            id: this.defs[i]!.id,
            title: this.defs[i]!.title,
            scenario: this.defs[i]!.scenario,
            status: "unknown",
            value: null,
            unit: "",
            summary: "Unknown: the check crashed",
            threshold: "",
            detail: {},
            observedAt: new Date().toISOString(),
            durationMs: 0,
            error: errorInfo(s.reason),
          } satisfies CheckResult),
    );
    for (const r of results) this.record(r);
    const snapshot: Snapshot = { generatedAt: new Date().toISOString(), refreshSeconds: this.opts.refreshSeconds, checks: results };
    this.current = snapshot;
    return snapshot;
  }

  private record(r: CheckResult): void {
    const list = this.history.get(r.id) ?? [];
    list.push({ t: r.observedAt, status: r.status, value: r.value });
    const cutoff = Date.now() - HISTORY_MS;
    while (list.length && Date.parse(list[0]!.t) < cutoff) list.shift();
    this.history.set(r.id, list);
  }
}

const g = globalThis as unknown as { __rcHealth?: HealthMonitor };

/** The process-wide monitor. */
export function healthMonitor(): HealthMonitor {
  if (!g.__rcHealth) {
    const e = env();
    g.__rcHealth = new HealthMonitor(defaultChecks, {
      refreshSeconds: e.HEALTH_REFRESH_SECONDS,
      checkTimeoutMs: Math.min(e.DB_STATEMENT_TIMEOUT_MS + 500, e.HEALTH_REFRESH_SECONDS * 1000),
    });
  }
  return g.__rcHealth;
}
