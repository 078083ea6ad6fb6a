/**
 * Verifying the stored chain against the latest anchor, recording the verification in the
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
import { anchorFilePath, anchorSource, readLatestAnchor, recordAnchor, type AnchorLine, type RecordedAnchor } from "./anchors.ts";
import { verifyChain, type VerifyResult } from "./verify.ts";

/** A verification reads every entry: 1M entries take tens of seconds. */
export const VERIFY_DEADLINE_MS = 30 * 60_000;

export type ChainVerification = {
  result: VerifyResult;
  /** The anchor compared against (the latest in the file), if any. */
  anchor: AnchorLine | null;
  anchorFile: string;
  anchorsRead: number;
  durationMs: number;
  verifiedAt: string;
};

export async function verifyStoredChain(opts: { anchorFile?: string } = {}): Promise<ChainVerification> {
  const started = performance.now();
  const anchorFile = opts.anchorFile ?? anchorFilePath();
  const latest = await readLatestAnchor(anchorFile);
  const cursor = await openAuditCursor({ deadlineMs: VERIFY_DEADLINE_MS, batch: 2000 });
  let result: VerifyResult;
  try {
    result = await verifyChain(recordsOf(cursor), latest.anchor);
  } finally {
    await cursor.close();
  }
  return {
    result,
    anchor: latest.anchor,
    anchorFile,
    anchorsRead: latest.count,
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
  anchor: { seq: number; hash: string; at: string; anchoredAt: string } | null;
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
  return {
    via,
    result: r.ok ? "ok" : "broken",
    entries: r.entries,
    head: r.ok ? r.head : null,
    anchor: v.anchor && { seq: v.anchor.seq, hash: v.anchor.hash, at: v.anchor.at, anchoredAt: v.anchor.anchoredAt },
    ...(r.ok ? {} : { brokenSeq: r.brokenSeq, kind: r.kind, message: r.message }),
    durationMs: v.durationMs,
  };
}

/**
 * Verify, then record the verification as an `audit.verify` entry (outcome succeeded, or failed
 * when the chain is broken), then, only if the chain held, anchor the verified head. A broken chain is
 * never anchored: that would bless the tampered history.
 */
export async function verifyAndRecord(opts: {
  actor: AuditActor;
  request?: RequestMeta | null;
  via: "ui" | "cli";
  anchor: boolean;
  anchorFile?: string;
}): Promise<RecordedVerification> {
  let verification: ChainVerification;
  try {
    verification = await verifyStoredChain({ anchorFile: opts.anchorFile });
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
  const ok = verification.result.ok;
  let entry: AuditRecord | null = null;
  let recordError: string | null = null;
  try {
    entry = await appendAudit({
      actor: opts.actor,
      action: "audit.verify",
      outcome: ok ? "succeeded" : "failed",
      detail: verificationDetail(verification, opts.via),
      request: opts.request ?? null,
    });
  } catch (err) {
    recordError = err instanceof Error ? err.message : String(err);
  }
  let anchored: RecordedAnchor | null = null;
  let anchorError: string | null = null;
  if (ok && opts.anchor) {
    // Exactly what was verified; the verification entry itself is anchored by the next timer.
    const r = verification.result;
    const head = r.ok ? r.head : null;
    if (head) {
      try {
        anchored = await recordAnchor(head, { source: anchorSource(`verify-${opts.via}`), file: opts.anchorFile ?? verification.anchorFile });
      } catch (err) {
        anchorError = err instanceof Error ? err.message : String(err);
      }
    }
  }
  return { verification, entry, recordError, anchored, anchorError };
}
