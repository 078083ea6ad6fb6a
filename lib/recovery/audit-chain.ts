/**
 * Verifying the audit hash chain, in one streaming pass (constant memory: only the previous
 * entry is kept), from the database or from an exported NDJSON file.
 *
 * Kinds of break, reported at the first seq where the chain stops holding:
 * - modified:  the entry's own hash does not match its content;
 * - missing:   a seq is absent (an entry was deleted from the middle);
 * - inserted:  the entry is internally consistent but does not link to its predecessor
 *              (a row spliced in, or rows renumbered);
 * - truncated: the chain ends before the latest anchor, or its entry at the anchor's seq
 *              differs from the anchored hash (a deleted tail cannot be seen from the chain alone).
 * No server-only marker: the verifier script and tests use it too.
 */
import { GENESIS_HASH, hashEntry, type AuditBody, type AuditRecord } from "./audit-hash.ts";

export type Anchor = { seq: number; hash: string; at?: string };

export type VerifyResult =
  | { ok: true; entries: number; head: { seq: number; hash: string } | null; anchor: Anchor | null }
  | { ok: false; entries: number; brokenSeq: number; kind: "modified" | "missing" | "inserted" | "truncated"; message: string };

export async function verifyChain(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, anchor: Anchor | null = null): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let anchorChecked = anchor === null;
  for await (const r of records) {
    if (r.seq !== expectedSeq) {
      if (r.seq > expectedSeq) {
        return { ok: false, entries, brokenSeq: expectedSeq, kind: "missing", message: `entry ${expectedSeq} is missing (next present is ${r.seq})` };
      }
      return { ok: false, entries, brokenSeq: r.seq, kind: "inserted", message: `entry ${r.seq} appears out of order after ${expectedSeq - 1}` };
    }
    const { hash, prevHash: storedPrev, ...body } = r;
    const recomputed = hashEntry(storedPrev, body as AuditBody);
    if (recomputed !== hash) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "modified", message: `entry ${r.seq} does not match its hash (its content was changed)` };
    }
    if (storedPrev !== prevHash) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "inserted", message: `entry ${r.seq} does not link to entry ${r.seq - 1}` };
    }
    if (anchor && r.seq === anchor.seq) {
      if (hash !== anchor.hash) {
        return { ok: false, entries, brokenSeq: r.seq, kind: "truncated", message: `entry ${r.seq} differs from the anchored head (the chain was rewritten after the anchor)` };
      }
      anchorChecked = true;
    }
    prevHash = hash;
    expectedSeq++;
    entries++;
  }
  if (!anchorChecked && anchor) {
    return {
      ok: false,
      entries,
      brokenSeq: expectedSeq,
      kind: "truncated",
      message: `the chain ends at ${expectedSeq - 1} but an anchor records entry ${anchor.seq}: entries ${expectedSeq}..${anchor.seq} were deleted`,
    };
  }
  return { ok: true, entries, head: entries ? { seq: expectedSeq - 1, hash: prevHash } : null, anchor };
}
