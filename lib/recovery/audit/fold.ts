/**
 * Folding of repeated refusals, so a flood of denials, throttled or failed sign-ins cannot flood
 * the audit chain (issue 11, point 5).
 *
 * A refusal is keyed by (action, outcome, actor id or email, client IP, request path, refusal
 * code): the same refusal of the same thing to the same caller. The first
 * one of a key is written at once, as any entry. Repeats of that key within WINDOW_MS of it are
 * counted in memory, not written. When the window closes (an unref'd timer), or at shutdown
 * (flush), one summary entry closes it: the same action, actor and outcome, phase `event`, with
 * `detail.folded` (how many refusals it stands for, none of which was written on its own),
 * `firstAt`, `lastAt`, `windowSeconds` and `firstSeq` (the entry written at once). A window with
 * no repeats writes no summary. So the audit keeps the exact count: the refusals are the entries
 * without `detail.folded`, plus the sum of `detail.folded`.
 *
 * At most MAX_KEYS keys are tracked at a time. A refusal with a new key when that many are open
 * goes into one overflow key per (action, outcome) (at most MAX_OVERFLOW_KEYS of them, then one
 * for everything): its first refusal is written, the rest are counted, and its summary has
 * `detail.overflow: true` and no actor. Each key writes at most two entries in any WINDOW_MS (its
 * first refusal and the previous window's summary), so an instance writes at most
 * 2 × (MAX_KEYS + MAX_OVERFLOW_KEYS + 1) refusal entries per minute, whatever the flood (docs/audit-trail.md:
 * Audit trail, Floods).
 *
 * Successes are never folded; nor is anything that changes state.
 */
import { appendAudit, type AuditInput, type AuditOutcome, type AuditRecord } from "./writer.ts";

export const WINDOW_MS = 60_000;
export const MAX_KEYS = 1000;
export const MAX_OVERFLOW_KEYS = 64;

/** The outcomes that fold: refusals. */
export type RefusalOutcome = Extract<AuditOutcome, "denied" | "throttled" | "failed" | "refused">;
export type RefusalInput = AuditInput & { outcome: RefusalOutcome };

type Window = {
  first: RefusalInput;
  overflow: boolean;
  firstAt: number;
  lastAt: number;
  /** Refusals in this window that no entry of their own records. */
  folded: number;
  firstSeq: number | null;
  timer: ReturnType<typeof setTimeout>;
};

export type FolderOptions = {
  append: (input: AuditInput) => Promise<AuditRecord>;
  windowMs?: number;
  maxKeys?: number;
  maxOverflowKeys?: number;
  now?: () => number;
  onSummaryError?: (err: unknown, summary: AuditInput) => void;
};

export class RefusalFolder {
  private readonly windows = new Map<string, Window>();
  private keys = 0;
  private overflowKeys = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly append: FolderOptions["append"];
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly maxOverflowKeys: number;
  private readonly now: () => number;
  private readonly onSummaryError: NonNullable<FolderOptions["onSummaryError"]>;

  constructor(opts: FolderOptions) {
    this.append = opts.append;
    this.windowMs = opts.windowMs ?? WINDOW_MS;
    this.maxKeys = opts.maxKeys ?? MAX_KEYS;
    this.maxOverflowKeys = opts.maxOverflowKeys ?? MAX_OVERFLOW_KEYS;
    this.now = opts.now ?? Date.now;
    this.onSummaryError =
      opts.onSummaryError ??
      ((err, s) =>
        console.error(
          `[audit] could not write the summary of ${(s.detail as { folded?: number }).folded} folded ${s.action} refusals:`,
          err instanceof Error ? err.message : err,
        ));
  }

  /** Keys open now (normal and overflow). */
  get size(): number {
    return this.windows.size;
  }

  /**
   * Record a refusal: the entry when it was written now (the first of its key), null when it was
   * folded into an open window. Throws when the first of a key cannot be written (the refusal is
   * then counted in that window's summary).
   */
  async record(input: RefusalInput, code?: string | null): Promise<AuditRecord | null> {
    const now = this.now();
    const key = JSON.stringify([
      input.action,
      input.outcome,
      input.actor?.id ?? input.actor?.email ?? null,
      input.request?.ip ?? null,
      input.request?.path ?? null,
      code ?? null,
    ]);
    let w = this.windows.get(key);
    let overflowKey: string | null = null;
    if (!w && this.keys >= this.maxKeys) {
      overflowKey =
        this.windows.has(JSON.stringify(["overflow", input.action, input.outcome])) || this.overflowKeys < this.maxOverflowKeys
          ? JSON.stringify(["overflow", input.action, input.outcome])
          : JSON.stringify(["overflow"]);
      w = this.windows.get(overflowKey);
    }
    if (w) {
      w.folded += 1;
      w.lastAt = now;
      return null;
    }
    const k = overflowKey ?? key;
    const opened: Window = {
      first: input,
      overflow: overflowKey !== null,
      firstAt: now,
      lastAt: now,
      folded: 0,
      firstSeq: null,
      timer: setTimeout(() => this.track(this.close(k)), this.windowMs),
    };
    opened.timer.unref?.();
    this.windows.set(k, opened);
    if (opened.overflow) this.overflowKeys += 1;
    else this.keys += 1;
    try {
      const r = await this.append(input);
      opened.firstSeq = r.seq;
      return r;
    } catch (err) {
      // Not written: the window's summary counts it.
      opened.folded += 1;
      throw err;
    }
  }

  /** Close every open window now and write their summaries (shutdown, tests). */
  async flush(): Promise<void> {
    for (const [k, w] of [...this.windows]) {
      clearTimeout(w.timer);
      this.track(this.close(k));
    }
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async close(k: string): Promise<void> {
    const w = this.windows.get(k);
    if (!w) return;
    this.windows.delete(k);
    if (w.overflow) this.overflowKeys -= 1;
    else this.keys -= 1;
    if (w.folded === 0) return;
    const window = {
      folded: w.folded,
      firstAt: new Date(w.firstAt).toISOString(),
      lastAt: new Date(w.lastAt).toISOString(),
      windowSeconds: this.windowMs / 1000,
      firstSeq: w.firstSeq,
    };
    const detail = w.first.detail;
    const summary: AuditInput = w.overflow
      ? {
          actor: null,
          action: k === JSON.stringify(["overflow"]) ? "audit.refusals" : w.first.action,
          outcome: w.first.outcome,
          phase: "event",
          detail: { ...window, overflow: true },
        }
      : {
          actor: w.first.actor,
          action: w.first.action,
          outcome: w.first.outcome,
          phase: "event",
          reason: w.first.reason ?? null,
          incidentRef: w.first.incidentRef ?? null,
          params: w.first.params,
          detail:
            detail !== null && typeof detail === "object" && !Array.isArray(detail)
              ? { ...detail, ...window }
              : { ...window, ...(detail === undefined ? {} : { detail }) },
          request: w.first.request ?? null,
        };
    try {
      await this.append(summary);
    } catch (err) {
      this.onSummaryError(err, summary);
    }
  }
}

const g = globalThis as unknown as { __rcRefusalFolder?: RefusalFolder };

function folder(): RefusalFolder {
  g.__rcRefusalFolder ??= new RefusalFolder({ append: (input) => appendAudit(input) });
  return g.__rcRefusalFolder;
}

/**
 * Audit a refusal (a denial, a throttled or failed sign-in) through this instance's folder: the
 * first of its kind is written at once (its record is returned), repeats within the window are
 * counted into one summary entry (null is returned). `code` names the refusal (the permission,
 * the throttle's scope, the failure's reason) so different refusals do not fold together.
 */
export function auditRefusal(input: RefusalInput, code?: string | null): Promise<AuditRecord | null> {
  return folder().record(input, code);
}

/** Write the summaries of every open window now (at shutdown; tests). */
export function flushRefusals(): Promise<void> {
  return g.__rcRefusalFolder?.flush() ?? Promise.resolve();
}
