/**
 * Verifying the stored chain against every anchor of it, recording the verification in the
 * chain itself, and anchoring the verified head: one place for the audit view's "Verify now"
 * and `npm run audit:verify`.
 *
 * The anchor file is read *before* the chain is read. An anchor records a head that was
 * committed before the anchor was written, so every anchor we read is covered by the snapshot
 * we take afterwards; reading them the other way round would let an anchor written during a long
 * verification (by another instance's timer) look like a deleted tail.
 * No server-only marker: the CLI imports it (under the react-server condition).
 */
import { DbError } from "../../db/errors.ts";
import { AuditBusyError, openAuditCursor, recordsOf } from "../../db/queries/audit.ts";
import { appendAudit, type AuditActor, type AuditRecord, type RequestMeta } from "./writer.ts";
import { anchorFilePath, anchorSource, noteAnchorRefused, readAnchors, recordAnchor, type RecordedAnchor } from "./anchors.ts";
import { verifyChain, type Break, type VerifyResult } from "./verify.ts";

/** A verification reads every entry: 1M entries take tens of seconds. */
export const VERIFY_DEADLINE_MS = 30 * 60_000;

/** Breaks kept in a verification's audit entry (the count is always there). */
export const BREAKS_IN_ENTRY = 50;

export type ChainVerification = {
  result: VerifyResult;
  anchorFile: string;
  /** Lines of the anchor file that are not anchors (torn, foreign). */
  anchorLinesSkipped: number;
  durationMs: number;
  verifiedAt: string;
};

export async function verifyStoredChain(opts: { anchorFile?: string; onBreak?: (b: Break) => void } = {}): Promise<ChainVerification> {
  const started = performance.now();
  const anchorFile = opts.anchorFile ?? anchorFilePath();
  const read = await readAnchors(anchorFile);
  const cursor = await openAuditCursor({ deadlineMs: VERIFY_DEADLINE_MS, batch: 2000 });
  let result: VerifyResult;
  try {
    result = await verifyChain(recordsOf(cursor), { mode: "complete", anchors: read.anchors, onBreak: opts.onBreak });
  } finally {
    await cursor.close();
  }
  return {
    result,
    anchorFile,
    anchorLinesSkipped: read.skipped,
    durationMs: Math.round(performance.now() - started),
    verifiedAt: new Date().toISOString(),
  };
}

/** What a verification entry's `detail` holds (the audit view reads it back). */
export type VerificationDetail = {
  via: "ui" | "cli";
  result: "ok" | "broken";
  entries: number;
  head: { seq: number; hash: string; at: string } | null;
  chain: string | null;
  breakCount: number;
  /** The first BREAKS_IN_ENTRY breaks. */
  breaks: Break[];
  anchors: {
    read: number;
    checked: number;
    failed: number;
    skippedOtherChain: number;
    beyondEnd: number;
    latest: { seq: number; hash: string; anchoredAt: string | null } | null;
  };
  /** The first break, as entries before issue 11 point 2 recorded it. */
  brokenSeq?: number;
  kind?: string;
  message?: string;
  durationMs: number;
};

export type RecordedVerification = {
  verification: ChainVerification;
  /** The audit.verify entry, or null when it could not be written (read-only store). */
  entry: AuditRecord | null;
  recordError: string | null;
  /** The anchor written after a successful verification. */
  anchored: RecordedAnchor | null;
  anchorError: string | null;
};

export function verificationDetail(v: ChainVerification, via: "ui" | "cli"): VerificationDetail {
  const r = v.result;
  const first = r.breaks[0];
  const latest = r.anchors.latest;
  return {
    via,
    result: r.ok ? "ok" : "broken",
    entries: r.entries,
    head: r.head,
    chain: r.chain,
    breakCount: r.breakCount,
    breaks: r.breaks.slice(0, BREAKS_IN_ENTRY),
    anchors: {
      read: r.anchors.read,
      checked: r.anchors.checked,
      failed: r.anchors.failed,
      skippedOtherChain: r.anchors.skippedOtherChain,
      beyondEnd: r.anchors.beyondEnd,
      latest: latest && { seq: latest.seq, hash: latest.hash, anchoredAt: latest.anchoredAt ?? null },
    },
    ...(first ? { brokenSeq: first.seq, kind: first.kind, message: first.detail } : {}),
    durationMs: v.durationMs,
  };
}

/**
 * Verify, then record the verification as an `audit.verify` entry (outcome succeeded, or failed
 * when the chain is broken), then, only if the chain held, anchor the verified head. A broken chain is
 * never anchored: that would bless the tampered history (the refusal is noted as the periodic
 * anchorer's are: anchors.ts noteAnchorRefused).
 */
export async function verifyAndRecord(opts: {
  actor: AuditActor;
  request?: RequestMeta | null;
  via: "ui" | "cli";
  anchor: boolean;
  anchorFile?: string;
  onBreak?: (b: Break) => void;
}): Promise<RecordedVerification> {
  let verification: ChainVerification;
  try {
    verification = await verifyStoredChain({ anchorFile: opts.anchorFile, onBreak: opts.onBreak });
  } catch (err) {
    // A verification that could not run is an entry too (if the store takes writes at all).
    await appendAudit({
      actor: opts.actor,
      action: "audit.verify",
      outcome: err instanceof AuditBusyError ? "throttled" : "failed",
      detail: { via: opts.via, result: "error", error: err instanceof DbError ? err.code : err instanceof Error ? err.message : String(err) },
      request: opts.request ?? null,
    }).catch(() => {});
    throw err;
  }
  const r = verification.result;
  let entry: AuditRecord | null = null;
  let recordError: string | null = null;
  try {
    entry = await appendAudit({
      actor: opts.actor,
      action: "audit.verify",
      outcome: r.ok ? "succeeded" : "failed",
      detail: verificationDetail(verification, opts.via),
      request: opts.request ?? null,
    });
  } catch (err) {
    recordError = err instanceof Error ? err.message : String(err);
  }
  let anchored: RecordedAnchor | null = null;
  let anchorError: string | null = null;
  if (opts.anchor && !r.ok) {
    await noteAnchorRefused({
      breaks: r.breaks,
      breakCount: r.breakCount,
      previous: r.anchors.latest,
      head: r.head,
      source: anchorSource(`verify-${opts.via}`),
    });
  } else if (opts.anchor && r.head) {
    // Exactly what was verified; the verification entry itself is anchored by the next timer.
    try {
      anchored = await recordAnchor(r.head, {
        source: anchorSource(`verify-${opts.via}`),
        file: opts.anchorFile ?? verification.anchorFile,
        genesis: r.chain && r.genesisId ? { id: r.genesisId, hash: r.chain } : null,
      });
    } catch (err) {
      anchorError = err instanceof Error ? err.message : String(err);
    }
  }
  return { verification, entry, recordError, anchored, anchorError };
}
