import { describe, expect, it } from "vitest";
import { verifyChain, verifySubset } from "@/lib/recovery/audit/verify";
import { EXPORT_FORMAT, toExportRow, verifyExportLines } from "@/lib/recovery/audit/export-format";
import { buildBody, GENESIS_HASH, hashEntry, type AuditRecord } from "@/lib/recovery/audit/hash";

/** A valid chain of `n` entries, built as appendAudit builds them. */
function chainOf(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = buildBody(
      { actor: { id: "u1", email: "oncall@demo.local", role: "oncall" }, action: "circuit.reset", outcome: "succeeded", reason: `r${seq}`, params: { seq } },
      seq,
      `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
      new Date(Date.UTC(2026, 0, 3) + seq * 1000),
    );
    const hash = hashEntry(prev, body);
    out.push({ ...body, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

/** Recompute an entry's hash after a change, as a forger would. */
function rehash(r: AuditRecord, prevHash = r.prevHash): AuditRecord {
  const { hash: _h, prevHash: _p, ...body } = r;
  return { ...r, prevHash, hash: hashEntry(prevHash, body) };
}

const lines = (records: AuditRecord[], header: object | null = { format: EXPORT_FORMAT, version: 1, exportedAt: "2026-01-04T00:00:00.000Z", complete: true }, trailer = true) => [
  ...(header ? [JSON.stringify(header)] : []),
  ...records.map((r) => JSON.stringify(toExportRow(r))),
  ...(trailer ? [JSON.stringify({ end: true, entries: records.length })] : []),
];

describe("verifyChain: the kinds of break, at the first broken seq", () => {
  it("accepts a valid chain and reports its head", async () => {
    const c = chainOf(5);
    expect(await verifyChain(c)).toEqual({ ok: true, entries: 5, head: { seq: 5, hash: c[4]!.hash, at: c[4]!.at }, anchor: null });
    expect(await verifyChain([])).toMatchObject({ ok: true, entries: 0, head: null });
  });

  it("modified: an entry's content no longer matches its hash", async () => {
    const c = chainOf(5);
    c[2] = { ...c[2]!, reason: "edited" };
    expect(await verifyChain(c)).toMatchObject({ ok: false, kind: "modified", brokenSeq: 3 });
  });

  it("missing: a seq is absent", async () => {
    const c = chainOf(5);
    c.splice(3, 1);
    expect(await verifyChain(c)).toMatchObject({ ok: false, kind: "missing", brokenSeq: 4 });
  });

  it("inserted: an entry hashes correctly but does not link to its predecessor", async () => {
    const c = chainOf(5);
    c[3] = rehash({ ...c[3]!, reason: "spliced" }, "a".repeat(64));
    expect(await verifyChain(c)).toMatchObject({ ok: false, kind: "inserted", brokenSeq: 4 });
  });

  it("truncated: the chain ends before the anchored seq, or differs at it", async () => {
    const c = chainOf(5);
    expect(await verifyChain(c.slice(0, 3), { seq: 5, hash: c[4]!.hash })).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 4 });
    expect(await verifyChain(c, { seq: 5, hash: "b".repeat(64) })).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 5 });
    expect(await verifyChain(c, { seq: 3, hash: c[2]!.hash })).toMatchObject({ ok: true, anchor: { seq: 3 } });
  });
});

describe("verifySubset: what a filtered export can prove", () => {
  it("accepts gaps, checks each entry's own hash and the links between consecutive seqs", async () => {
    const c = chainOf(8);
    const subset = [c[1]!, c[2]!, c[5]!, c[7]!];
    expect(await verifySubset(subset)).toMatchObject({ ok: true, entries: 4, head: { seq: 8 } });
    expect(await verifySubset([c[1]!, { ...c[5]!, outcome: "failed" }])).toMatchObject({ ok: false, kind: "modified", brokenSeq: 6 });
    expect(await verifySubset([c[1]!, rehash(c[2]!, "c".repeat(64))])).toMatchObject({ ok: false, kind: "inserted", brokenSeq: 3 });
    expect(await verifySubset([c[5]!, c[1]!])).toMatchObject({ ok: false, kind: "inserted", brokenSeq: 2 });
  });
});

describe("verifyExportLines: an exported NDJSON file", () => {
  it("verifies a complete export as the whole chain", async () => {
    const c = chainOf(6);
    expect(await verifyExportLines(lines(c))).toMatchObject({ ok: true, entries: 6, mode: "complete", head: { seq: 6 } });
  });

  it("takes the export's word that it is a subset, and otherwise treats a headerless file as complete", async () => {
    const c = chainOf(6);
    const subset = [c[0]!, c[3]!, c[4]!];
    expect(await verifyExportLines(lines(subset, { format: EXPORT_FORMAT, version: 1, exportedAt: "2026-01-04T00:00:00Z", complete: false }))).toMatchObject({ ok: true, mode: "subset", entries: 3 });
    expect(await verifyExportLines(lines(subset, null, false))).toMatchObject({ ok: false, kind: "missing", brokenSeq: 2, mode: "complete" });
    expect(await verifyExportLines(lines(subset, null, false), { subset: true })).toMatchObject({ ok: true, mode: "subset" });
  });

  it("names a changed line, a removed line and a cut-off file", async () => {
    const c = chainOf(6);
    const changed = lines(c).map((l) => l.replace('"reason":"r4"', '"reason":"r four"'));
    expect(await verifyExportLines(changed)).toMatchObject({ ok: false, kind: "modified", brokenSeq: 4 });
    const removed = lines(c).filter((l) => !l.includes('"reason":"r2"'));
    expect(await verifyExportLines(removed)).toMatchObject({ ok: false, kind: "missing", brokenSeq: 2 });
    expect(await verifyExportLines(lines(c).slice(0, -2))).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 6 });
  });

  it("reports a line that is not an export line as malformed", async () => {
    const c = chainOf(3);
    const l = lines(c);
    l.splice(2, 0, "{not json");
    expect(await verifyExportLines(l)).toMatchObject({ ok: false, kind: "malformed", message: expect.stringMatching(/^line 3/) });
    const wrongType = lines(c).map((x, i) => (i === 1 ? x.replace('"seq":1', '"seq":"1"') : x));
    expect(await verifyExportLines(wrongType)).toMatchObject({ ok: false, kind: "malformed" });
  });

  it("checks the anchor chosen for the export's header", async () => {
    const c = chainOf(6);
    let seen: unknown;
    const r = await verifyExportLines(lines(c.slice(0, 4)), {
      anchor: async (header) => {
        seen = header?.exportedAt;
        return { seq: 6, hash: c[5]!.hash };
      },
    });
    expect(seen).toBe("2026-01-04T00:00:00.000Z");
    expect(r).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 5 });
  });

  it("round-trips every hashed field through the export row", async () => {
    const [r] = chainOf(1);
    const withJson = rehash({ ...r!, params: { nested: { b: [1, null, "x"], a: -0.5 } }, detail: { perTarget: { items: [], total: 0 } }, request: { ip: null } });
    expect(await verifyExportLines(lines([withJson]))).toMatchObject({ ok: true, entries: 1 });
  });
});
