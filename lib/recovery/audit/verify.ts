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
 * Files add one more: malformed (a line that is not an export line).
 * No server-only marker: the verifier script and tests use it too.
 */
import { GENESIS_HASH, hashEntry, type AuditBody, type AuditRecord } from "./hash.ts";

export type Anchor = { seq: number; hash: string; at?: string };

export type BreakKind = "modified" | "missing" | "inserted" | "truncated" | "malformed";

export type VerifyResult =
  | { ok: true; entries: number; head: { seq: number; hash: string; at: string } | null; anchor: Anchor | null }
  | { ok: false; entries: number; brokenSeq: number; kind: BreakKind; message: string };

export async function verifyChain(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, anchor: Anchor | null = null): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let prevAt = "";
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
    prevAt = r.at;
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
  return { ok: true, entries, head: entries ? { seq: expectedSeq - 1, hash: prevHash, at: prevAt } : null, anchor };
}

/**
 * A subset of the chain (a filtered export): entries in increasing seq, with gaps. Only what a
 * subset can prove is checked: each entry's own hash, the link between entries whose seqs are
 * consecutive, and the anchored entry if the subset holds it. A deleted entry inside a gap, or a
 * deleted tail, cannot be seen from a subset.
 */
export async function verifySubset(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, anchor: Anchor | null = null): Promise<VerifyResult> {
  let prev: { seq: number; hash: string; at: string } | null = null;
  let entries = 0;
  for await (const r of records) {
    if (prev && r.seq <= prev.seq) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "inserted", message: `entry ${r.seq} appears out of order after ${prev.seq}` };
    }
    const { hash, prevHash: storedPrev, ...body } = r;
    if (hashEntry(storedPrev, body as AuditBody) !== hash) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "modified", message: `entry ${r.seq} does not match its hash (its content was changed)` };
    }
    if ((prev && r.seq === prev.seq + 1 && storedPrev !== prev.hash) || (r.seq === 1 && storedPrev !== GENESIS_HASH)) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "inserted", message: `entry ${r.seq} does not link to entry ${r.seq - 1}` };
    }
    if (anchor && r.seq === anchor.seq && hash !== anchor.hash) {
      return { ok: false, entries, brokenSeq: r.seq, kind: "truncated", message: `entry ${r.seq} differs from the anchored head (the chain was rewritten after the anchor)` };
    }
    prev = { seq: r.seq, hash, at: r.at };
    entries++;
  }
  return { ok: true, entries, head: prev, anchor };
}

