import "server-only";
/**
 * worker_rate_limit: runbook scenario 4 (Cloudflare Worker Rate Limiting), symptom "429 errors
 * from tick-factory or other workers". The console probes each worker in WORKER_PROBES with a GET
 * and counts the 429s it received in the last WORKER_RATE_LIMIT_WINDOW_SECONDS.
 *
 * The probe must not add to the storm (runbook step 2, "implement exponential backoff"):
 * - a worker is probed at most every WORKER_PROBE_INTERVAL_SECONDS, and only from a snapshot
 *   evaluation (or an explicit refresh of this check), never per viewer;
 * - after a 429 it is not probed again before its Retry-After allows (RFC 9110 §10.2.3: seconds
 *   or an HTTP date); a 429 without Retry-After backs off exponentially (30 s, 60 s, … 5 min);
 * - concurrent evaluations join the probe in flight.
 * The state lives in this process (one console instance probes on its own schedule).
 *
 * Status: critical while a worker is rate limited (its latest answer was a 429); warn when a
 * worker answered 429 within the window but has recovered, or a worker fails otherwise; unknown
 * when no worker can be reached at all.
 */
import { displayUrl } from "../../../display-url.ts";
import { env, type WorkerProbe } from "../../../env.ts";
import { tracedFetch } from "../../../trace.ts";
import { formatAge, notConfigured, plural } from "./format.ts";
import type { CheckModule, CheckReading, NotConfiguredDetail } from "./types.ts";

export type WorkerProbeKind = "ok" | "rate_limited" | "http_error" | "unreachable";

type WorkerState = {
  name: string;
  url: string;
  lastProbeAt: number | null;
  last: { at: number; kind: WorkerProbeKind; status: number | null; latencyMs: number; message: string | null } | null;
  /** No probe before this time (Retry-After, or backoff without one). */
  blockedUntil: number | null;
  retryAfterSeconds: number | null;
  consecutive429: number;
  /** When each 429 was received, pruned to the window. */
  hits429: number[];
  probesSent: number;
  inFlight: Promise<void> | null;
};

export type WorkerView = {
  name: string;
  url: string;
  state: WorkerProbeKind | "not_probed";
  lastStatus: number | null;
  lastProbeAt: string | null;
  lastLatencyMs: number | null;
  message: string | null;
  retryAfterSeconds: number | null;
  /** The earliest time the console will probe again. */
  nextProbeAt: string | null;
  rateLimitedInWindow: number;
  probesSent: number;
};

const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 300_000;

/**
 * Retry-After as a delay in milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110
 * §10.2.3). Null when absent or unparseable.
 */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP dates (IMF-fixdate and the obsolete forms) start with a day name; Date.parse alone takes "-5".
  if (!/^[A-Za-z]{3}/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

function describeFetchError(err: unknown): string {
  const name = (err as { name?: string } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "no answer in time";
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export class WorkerProber {
  private readonly states = new Map<string, WorkerState>();

  /** `now` is the prober's clock (injectable for tests). */
  constructor(readonly now: () => number = Date.now) {}

  /** Probe every worker that is due (and allowed), then report all of them. */
  async probeAll(workers: WorkerProbe[], cfg: { intervalMs: number; timeoutMs: number; windowMs: number }, signal?: AbortSignal): Promise<WorkerView[]> {
    const keys = new Set(workers.map((w) => `${w.name} ${w.url}`));
    for (const k of this.states.keys()) if (!keys.has(k)) this.states.delete(k);
    const states = workers.map((w) => {
      const key = `${w.name} ${w.url}`;
      let s = this.states.get(key);
      if (!s) {
        s = {
          name: w.name,
          url: w.url,
          lastProbeAt: null,
          last: null,
          blockedUntil: null,
          retryAfterSeconds: null,
          consecutive429: 0,
          hits429: [],
          probesSent: 0,
          inFlight: null,
        };
        this.states.set(key, s);
      }
      return s;
    });
    await Promise.all(states.map((s) => this.maybeProbe(s, cfg, signal)));
    return states.map((s) => this.view(s, cfg));
  }

  private maybeProbe(s: WorkerState, cfg: { intervalMs: number; timeoutMs: number }, signal?: AbortSignal): Promise<void> {
    if (s.inFlight) return s.inFlight;
    const now = this.now();
    if (s.blockedUntil !== null && now < s.blockedUntil) return Promise.resolve();
    if (s.lastProbeAt !== null && now - s.lastProbeAt < cfg.intervalMs) return Promise.resolve();
    s.inFlight = this.probe(s, cfg.timeoutMs, signal).finally(() => {
      s.inFlight = null;
    });
    return s.inFlight;
  }

  private async probe(s: WorkerState, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const started = this.now();
    s.lastProbeAt = started;
    s.probesSent++;
    const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
    try {
      const res = await tracedFetch("worker-probe", s.url, {
        method: "GET",
        headers: { Accept: "application/json, */*", "User-Agent": "recovery-console-health-probe" },
        redirect: "manual",
        cache: "no-store",
        signal: AbortSignal.any(signals),
      });
      await res.body?.cancel().catch(() => {});
      const at = this.now();
      const latencyMs = at - started;
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), at);
      if (res.status === 429) {
        s.consecutive429++;
        s.hits429.push(at);
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (s.consecutive429 - 1));
        s.blockedUntil = at + (retryAfterMs ?? backoff);
        s.retryAfterSeconds = retryAfterMs === null ? null : Math.round(retryAfterMs / 1000);
        s.last = {
          at,
          kind: "rate_limited",
          status: 429,
          latencyMs,
          message: retryAfterMs === null ? `429 without Retry-After; backing off ${formatAge(backoff / 1000)}` : null,
        };
        return;
      }
      s.consecutive429 = 0;
      s.retryAfterSeconds = retryAfterMs === null ? null : Math.round(retryAfterMs / 1000);
      // A 503 may carry Retry-After too; honour it the same way.
      s.blockedUntil = res.status === 503 && retryAfterMs !== null ? at + retryAfterMs : null;
      const ok = res.status >= 200 && res.status < 400;
      s.last = { at, kind: ok ? "ok" : "http_error", status: res.status, latencyMs, message: ok ? null : `HTTP ${res.status}` };
    } catch (err) {
      const at = this.now();
      s.last = { at, kind: "unreachable", status: null, latencyMs: at - started, message: describeFetchError(err) };
    }
  }

  private view(s: WorkerState, cfg: { intervalMs: number; windowMs: number }): WorkerView {
    const now = this.now();
    s.hits429 = s.hits429.filter((t) => now - t < cfg.windowMs);
    const next = s.lastProbeAt === null ? now : Math.max(s.lastProbeAt + cfg.intervalMs, s.blockedUntil ?? 0);
    return {
      name: s.name,
      // Scheme, host and path only: no credentials or query strings in what viewers see.
      url: displayUrl(s.url) ?? "(invalid URL)",
      state: s.last?.kind ?? "not_probed",
      lastStatus: s.last?.status ?? null,
      lastProbeAt: s.last ? new Date(s.last.at).toISOString() : null,
      lastLatencyMs: s.last?.latencyMs ?? null,
      message: s.last?.message ?? null,
      retryAfterSeconds: s.last?.kind === "rate_limited" ? s.retryAfterSeconds : null,
      nextProbeAt: new Date(next).toISOString(),
      rateLimitedInWindow: s.hits429.length,
      probesSent: s.probesSent,
    };
  }
}

/** The status and words for a set of worker views (pure, unit-tested). */
export type WorkerRateLimitDetail = { windowSeconds: number; workers: WorkerView[] };

export function summarizeWorkers(views: WorkerView[], windowSeconds: number, now: number): CheckReading<WorkerRateLimitDetail> {
  const total = views.reduce((n, w) => n + w.rateLimitedInWindow, 0);
  const limited = views.filter((w) => w.state === "rate_limited");
  const failing = views.filter((w) => w.state === "http_error" || w.state === "unreachable");
  const recovered = views.filter((w) => w.state !== "rate_limited" && w.rateLimitedInWindow > 0);
  const window = formatAge(windowSeconds);
  const threshold = `critical while a worker answers 429, warn for ${window} after a 429 or when a probe fails`;
  const detail: WorkerRateLimitDetail = { windowSeconds, workers: views };
  const base = { value: total, unit: total === 1 ? "429" : "429s", threshold, detail };
  if (limited.length) {
    const words = limited.map((w) => {
      const wait = w.nextProbeAt ? Math.max(0, (Date.parse(w.nextProbeAt) - now) / 1000) : 0;
      return `${w.name} rate limited (429${w.retryAfterSeconds !== null ? `, Retry-After ${w.retryAfterSeconds} s` : ""}); next probe in ${formatAge(wait)}`;
    });
    return { ...base, status: "critical", summary: words.join("; ") };
  }
  if (failing.length && failing.length === views.length) {
    const message = failing.map((w) => `${w.name}: ${w.message}`).join("; ");
    return { ...base, status: "unknown", summary: `No worker answered the probe (${message})`, error: { code: "worker.unreachable", message } };
  }
  if (recovered.length || failing.length) {
    const words = [
      ...recovered.map((w) => `${w.name} recovered after ${plural(w.rateLimitedInWindow, "429")} in the last ${window}`),
      ...failing.map((w) => `${w.name} probe failed (${w.message})`),
    ];
    return { ...base, status: "warn", summary: words.join("; ") };
  }
  if (views.every((w) => w.state === "not_probed")) return { ...base, status: "unknown", summary: "Not probed yet" };
  return { ...base, status: "ok", summary: `No 429s in the last ${window} from ${plural(views.length, "worker")}` };
}

export function createWorkerRateLimitCheck(prober: WorkerProber): CheckModule<"worker_rate_limit", WorkerRateLimitDetail | NotConfiguredDetail> {
  return {
    id: "worker_rate_limit",
    title: "Worker rate limits",
    metricUnit: "responses_429",
    scenario: 4,
    area: "market_data",
    actions: [],
    reads: ["http"],
    async run(signal) {
      const e = env();
      const workers = e.WORKER_PROBES ?? [];
      if (workers.length === 0) return notConfigured("set WORKER_PROBES, e.g. tick-factory=https://tick-factory.example.workers.dev/health");
      const views = await prober.probeAll(
        workers,
        { intervalMs: e.WORKER_PROBE_INTERVAL_SECONDS * 1000, timeoutMs: e.WORKER_PROBE_TIMEOUT_MS, windowMs: e.WORKER_RATE_LIMIT_WINDOW_SECONDS * 1000 },
        signal,
      );
      return summarizeWorkers(views, e.WORKER_RATE_LIMIT_WINDOW_SECONDS, prober.now());
    },
  };
}

// One prober per process, surviving dev reloads, so Retry-After is honoured across them.
const g = globalThis as unknown as { __rcWorkerProber?: WorkerProber };
export const workerRateLimit = createWorkerRateLimitCheck((g.__rcWorkerProber ??= new WorkerProber()));
