/**
 * Verifying the audit hash chain, in one streaming pass, from the database or from an exported
 * NDJSON file. Verification does not stop at the first break: it goes on and reports every one.
 * Memory stays bounded: only the previous entry is kept, the anchors are indexed by seq, and at
 * most MAX_LISTED_BREAKS breaks are kept in the result (`breakCount` counts them all; `onBreak`
 * sees every one as it is found, which is how `npm run audit:verify` prints them all).
 *
 * Kinds of break, each at the seq it concerns:
 * - modified:  the entry's own hash does not match its content; or the entry's hash differs from
 *              an anchor recorded for its seq (the history was rewritten there and every later
 *              hash recomputed, which the chain alone cannot show);
 * - deleted:   seqs are absent from the middle of the chain (`seq`..`through`);
 * - inserted:  the entry is internally consistent but does not link to its predecessor
 *              (a row spliced in, rows renumbered, or its predecessor rewritten), or it comes
 *              out of order;
 * - truncated: the chain ends before an anchored seq (a deleted tail, `seq`..`through`).
 * Files add one more: malformed (a line that is not an export line; export-format.ts).
 *
 * Anchors (anchors.ts) name their chain: `chain` is the hash of entry 1, `genesisId` its id.
 * An anchor of another chain (a sink shared by staging and production) is skipped and counted,
 * never read as a break. An anchor whose `genesisId` is this chain's entry 1 but whose `chain`
 * differs means entry 1 itself was rewritten (a break at seq 1). Anchors without `chain` (older
 * lines) are taken as this chain's.
 *
 * Modes: "complete" is the whole chain from seq 1 (the store, an unfiltered export); "subset" a
 * filtered export (gaps allowed: only each entry's own hash, the links between consecutive
 * seqs and the anchors at the seqs it holds can be checked); "segment" the chain from a
 * known anchor (`from`) to the head, for the periodic anchorer.
 * No server-only marker: the verifier script and tests use it too.
 */
import { GENESIS_HASH, hashEntry, type AuditRecord } from "./hash.ts";

export type Anchor = {
  seq: number;
  hash: string;
  at?: string;
  anchoredAt?: string;
  /** The hash of entry 1 of the chain this anchor belongs to. */
  chain?: string;
  /** The id (uuid) of entry 1 of that chain. */
  genesisId?: string;
};

export type BreakKind = "modified" | "deleted" | "inserted" | "truncated" | "malformed";

export type Break = {
  seq: number;
  kind: BreakKind;
  detail: string;
  /** For a range of seqs (deleted, truncated): the last seq of the range. */
  through?: number;
};

export type AnchorReport = {
  /** Anchors given (read from the sink). */
  read: number;
  /** Anchors of this chain compared with the entry at their seq. */
  checked: number;
  /** ...of which did not match (each is a break). */
  failed: number;
  /** Anchors of another chain (a shared sink): skipped. */
  skippedOtherChain: number;
  /** Anchors past the end of the chain (a deleted tail: one truncated break). */
  beyondEnd: number;
  /** The highest-seq anchor of this chain, if any. */
  latest: Anchor | null;
};

export type Head = { seq: number; hash: string; at: string };

export type VerifyResult = {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** The last entry read (the chain's head when complete). */
  head: Head | null;
  /** The chain's id: the hash of its entry 1 (null when entry 1 was not read). */
  chain: string | null;
  /** The id (uuid) of entry 1, which anchors record with `chain`. */
  genesisId: string | null;
  /** The breaks, in the order found (at most MAX_LISTED_BREAKS of them). */
  breaks: Break[];
  /** Every break found, listed or not. */
  breakCount: number;
  anchors: AnchorReport;
};

export type VerifyMode = "complete" | "subset" | "segment";

export type VerifyOptions = {
  mode?: VerifyMode;
  anchors?: readonly Anchor[];
  /** segment: the anchor the segment starts at (its seq is the first expected entry). */
  from?: { seq: number; hash: string };
  /**
   * The chain's entry 1, to tell this chain's anchors from another's when entry 1 is not read
   * (a segment; a subset without it). Otherwise entry 1 tells.
   */
  genesis?: { id: string; hash: string } | null;
  onBreak?: (b: Break) => void;
};

export const MAX_LISTED_BREAKS = 1000;

const short = (h: string) => `${h.slice(0, 12)}…`;

export async function verifyChain(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const mode = opts.mode ?? "complete";
  const breaks: Break[] = [];
  let breakCount = 0;
  const report = (b: Break) => {
    breakCount++;
    if (breaks.length < MAX_LISTED_BREAKS) breaks.push(b);
    opts.onBreak?.(b);
  };
  const given = opts.anchors ?? [];
  const anchors: AnchorReport = { read: given.length, checked: 0, failed: 0, skippedOtherChain: 0, beyondEnd: 0, latest: null };
  /** This chain's anchors by seq, known once entry 1 (or `genesis`) is. */
  let bySeq: Map<number, Anchor[]> | null = null;
  let chain: string | null = null;
  let genesisId: string | null = null;

  const classify = (genesis: { id: string; hash: string } | null) => {
    bySeq = new Map();
    chain = genesis?.hash ?? null;
    genesisId = genesis?.id ?? null;
    let rewritten: Anchor | null = null;
    for (const a of given) {
      const ours = a.chain === undefined || (genesis !== null && a.chain === genesis.hash);
      if (!ours) {
        if (genesis && a.genesisId === genesis.id) {
          // This chain's anchor, but entry 1 no longer has the hash it had then.
          anchors.checked++;
          anchors.failed++;
          rewritten ??= a;
        } else {
          anchors.skippedOtherChain++;
        }
        continue;
      }
      const list = bySeq.get(a.seq);
      if (list) list.push(a);
      else bySeq.set(a.seq, [a]);
      if (!anchors.latest || a.seq > anchors.latest.seq) anchors.latest = a;
    }
    if (rewritten) {
      report({
        seq: 1,
        kind: "modified",
        detail: `entry 1 differs from the chain its anchors name (anchored ${short(rewritten.chain ?? "")}${rewritten.anchoredAt ? ` at ${rewritten.anchoredAt}` : ""}): the whole history was rewritten from entry 1`,
      });
    }
  };
  if (mode === "segment" || opts.genesis) classify(opts.genesis ?? null);

  const start = mode === "segment" ? (opts.from?.seq ?? 1) : 1;
  let expectedSeq = start;
  let prev: Head | null = null;
  let entries = 0;
  let afterGap = false;
  /** The previous entry was reported as not linking to its own predecessor. */
  let prevUnlinked = false;

  for await (const r of records) {
    entries++;
    if (bySeq === null) {
      // The first entry read: entry 1 names the chain. Without it, only anchors without a chain
      // (and none of another) can be matched.
      classify(r.seq === 1 ? { id: r.id, hash: r.hash } : null);
    }
    const ordered = prev ? r.seq > prev.seq : r.seq >= start;
    if (!ordered) {
      report({ seq: r.seq, kind: "inserted", detail: `entry ${r.seq} appears out of order after ${prev?.seq ?? start - 1}` });
      prevUnlinked = false;
      continue;
    }
    if (r.seq > expectedSeq && mode !== "subset") {
      const through = r.seq - 1;
      report({
        seq: expectedSeq,
        kind: "deleted",
        through,
        detail:
          through === expectedSeq ? `entry ${expectedSeq} is missing` : `entries ${expectedSeq}..${through} are missing (${through - expectedSeq + 1} entries)`,
      });
      afterGap = true;
    }
    if (hashEntry(r.prevHash, r) !== r.hash) {
      report({ seq: r.seq, kind: "modified", detail: `entry ${r.seq} does not match its hash (its content was changed)` });
    }
    if (mode === "segment" && opts.from && r.seq === opts.from.seq && r.hash !== opts.from.hash) {
      report({
        seq: r.seq,
        kind: "modified",
        detail: `entry ${r.seq} differs from the anchor the segment starts at (anchored ${short(opts.from.hash)}, stored ${short(r.hash)}): the history up to it was rewritten`,
      });
    }
    const linkKnown = r.seq === 1 || (prev !== null && r.seq === prev.seq + 1 && !afterGap);
    const expectedPrev = r.seq === 1 ? GENESIS_HASH : prev?.hash;
    const unlinked = linkKnown && r.prevHash !== expectedPrev;
    // An entry that replaced its predecessor's original (reported there) breaks this link too:
    // one break, at the replaced entry, not two.
    if (unlinked && !prevUnlinked) {
      report({
        seq: r.seq,
        kind: "inserted",
        detail: `entry ${r.seq} does not link to entry ${r.seq - 1} (one of them was rewritten, or ${r.seq} spliced in)`,
      });
    }
    prevUnlinked = unlinked && !prevUnlinked;
    for (const a of (bySeq as Map<number, Anchor[]> | null)?.get(r.seq) ?? []) {
      anchors.checked++;
      if (mode === "segment" && opts.from && a.seq === opts.from.seq && a.hash === opts.from.hash) {
        // The segment's own start, checked above.
        if (a.hash !== r.hash) anchors.failed++;
        continue;
      }
      if (a.hash !== r.hash) {
        anchors.failed++;
        report({
          seq: r.seq,
          kind: "modified",
          detail: `entry ${r.seq} differs from its anchor (anchored ${short(a.hash)}${a.anchoredAt ? ` at ${a.anchoredAt}` : ""}, stored ${short(r.hash)}): the history up to it was rewritten and the later hashes recomputed`,
        });
        break;
      }
    }
    afterGap = false;
    prev = { seq: r.seq, hash: r.hash, at: r.at };
    expectedSeq = r.seq + 1;
  }
  if (bySeq === null) classify(null);

  const end = prev?.seq ?? 0;
  if (mode === "segment" && opts.from && end < opts.from.seq) {
    report({
      seq: end + 1,
      kind: "truncated",
      through: opts.from.seq,
      detail: `the chain ends at ${end}, before the anchor at entry ${opts.from.seq}: entries ${end + 1}..${opts.from.seq} were deleted`,
    });
  }
  // Anchors past the end of what was read: a deleted tail (a subset cannot show one).
  let tail = 0;
  for (const [seq, list] of bySeq as unknown as Map<number, Anchor[]>) {
    if (seq > end) {
      anchors.beyondEnd += list.length;
      tail = Math.max(tail, seq);
    }
  }
  if (tail > 0 && mode !== "subset" && !(mode === "segment" && opts.from && end < opts.from.seq)) {
    report({
      seq: end + 1,
      kind: "truncated",
      through: tail,
      detail: `the chain ends at ${end} but an anchor records entry ${tail}: entries ${end + 1}..${tail} were deleted`,
    });
  }
  return { ok: breakCount === 0, entries, head: prev, chain, genesisId, breaks, breakCount, anchors };
}
