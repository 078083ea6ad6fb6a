import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AUDIT_BODY_COLUMNS, AUDIT_COLUMNS } from "@/lib/db/audit-columns";
import { auditLog } from "@/lib/db/schema/console";
import { verifyChain, type Anchor } from "@/lib/recovery/audit/verify";
import { EXPORT_COLUMNS, EXPORT_FORMAT, ExportFormatError, fromExportRow, toExportRow, verifyExportLines } from "@/lib/recovery/audit/export-format";
import { describeBreak, verificationHeadline } from "@/lib/recovery/audit/verification-summary";
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

/** Rewrite entry `seq` (a new reason) and recompute every later hash: a chain that holds on its own. */
function rewrite(c: AuditRecord[], seq: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (const r of c) {
    const next = rehash(r.seq === seq ? { ...r, reason: "rewritten" } : r, prev);
    out.push(r.seq < seq ? r : next);
    prev = (r.seq < seq ? r : next).hash;
  }
  return out;
}

const anchorOf = (r: AuditRecord, chain: AuditRecord[] | null = null): Anchor => ({
  seq: r.seq,
  hash: r.hash,
  at: r.at,
  anchoredAt: r.at,
  ...(chain ? { chain: chain[0]!.hash, genesisId: chain[0]!.id } : {}),
});

const kinds = (r: { breaks: { seq: number; kind: string }[] }) => r.breaks.map((b) => `${b.seq}:${b.kind}`);

const lines = (
  records: AuditRecord[],
  header: object | null = { format: EXPORT_FORMAT, version: 1, exportedAt: "2026-01-04T00:00:00.000Z", complete: true },
  trailer = true,
) => [
  ...(header ? [JSON.stringify(header)] : []),
  ...records.map((r) => JSON.stringify(toExportRow(r))),
  ...(trailer ? [JSON.stringify({ end: true, entries: records.length })] : []),
];

describe("verifyChain: every break, each with its kind", () => {
  it("accepts a valid chain and reports its head and its chain id (the hash of entry 1)", async () => {
    const c = chainOf(5);
    expect(await verifyChain(c)).toMatchObject({
      ok: true,
      entries: 5,
      head: { seq: 5, hash: c[4]!.hash, at: c[4]!.at },
      chain: c[0]!.hash,
      genesisId: c[0]!.id,
      breaks: [],
      breakCount: 0,
    });
    expect(await verifyChain([])).toMatchObject({ ok: true, entries: 0, head: null, breakCount: 0 });
  });

  it("modified: an entry's content no longer matches its hash", async () => {
    const c = chainOf(5);
    c[2] = { ...c[2]!, reason: "edited" };
    expect(await verifyChain(c)).toMatchObject({ ok: false, breakCount: 1, breaks: [{ seq: 3, kind: "modified" }] });
  });

  it("deleted: seqs absent from the middle, as one range", async () => {
    const c = chainOf(8);
    c.splice(3, 3);
    expect(await verifyChain(c)).toMatchObject({ ok: false, breakCount: 1, breaks: [{ seq: 4, through: 6, kind: "deleted" }] });
  });

  it("inserted: an entry hashes correctly but does not link to its predecessor", async () => {
    const c = chainOf(5);
    c[3] = rehash({ ...c[3]!, reason: "spliced" }, "a".repeat(64));
    expect(await verifyChain(c)).toMatchObject({ ok: false, breakCount: 1, breaks: [{ seq: 4, kind: "inserted" }] });
  });

  it("goes on past a break and lists every one, in order, with its kind", async () => {
    const c = chainOf(12);
    c[1] = { ...c[1]!, reason: "edited" }; // 2 modified
    c[6] = rehash({ ...c[6]!, reason: "spliced" }, "a".repeat(64)); // 7 inserted
    c[10] = { ...c[10]!, outcome: "failed" }; // 11 modified
    c.splice(3, 2); // 4..5 deleted
    const seen: string[] = [];
    const r = await verifyChain(c, { onBreak: (b) => seen.push(`${b.seq}:${b.kind}`) });
    expect(kinds(r)).toEqual(["2:modified", "4:deleted", "7:inserted", "11:modified"]);
    expect(r).toMatchObject({ ok: false, breakCount: 4, entries: 10, head: { seq: 12 } });
    expect(seen).toEqual(kinds(r));
    expect(verificationHeadline(r)).toBe("The chain is broken: 4 breaks (#2 modified, #4..5 deleted, #7 inserted, #11 modified).");
    expect(describeBreak(r.breaks[1]!)).toBe("#4..5 deleted: entries 4..5 are missing (2 entries)");
  });

  it("truncated: the chain ends before an anchored seq", async () => {
    const c = chainOf(5);
    expect(await verifyChain(c.slice(0, 3), { anchors: [anchorOf(c[4]!, c)] })).toMatchObject({
      ok: false,
      breaks: [{ seq: 4, through: 5, kind: "truncated" }],
      anchors: { beyondEnd: 1 },
    });
  });
});

describe("verifyChain: anchors", () => {
  it("checks every anchor it is given, by seq and hash", async () => {
    const c = chainOf(6);
    const anchors = [anchorOf(c[1]!, c), anchorOf(c[3]!, c), anchorOf(c[5]!, c)];
    expect(await verifyChain(c, { anchors })).toMatchObject({ ok: true, anchors: { read: 3, checked: 3, failed: 0, latest: { seq: 6 } } });
    // An anchor that does not match its entry is a break at its seq (not only the latest one is read).
    const wrong = [{ ...anchors[0]!, hash: "b".repeat(64) }, anchors[1]!, anchors[2]!];
    expect(await verifyChain(c, { anchors: wrong })).toMatchObject({ ok: false, breaks: [{ seq: 2, kind: "modified" }], anchors: { checked: 3, failed: 1 } });
  });

  it("names the entry of a consistent rewrite through the anchors at and after it", async () => {
    const c = chainOf(8);
    const anchors = [anchorOf(c[1]!, c), anchorOf(c[3]!, c), anchorOf(c[6]!, c)];
    const forged = rewrite(c, 4);
    expect(await verifyChain(forged)).toMatchObject({ ok: true });
    const r = await verifyChain(forged, { anchors });
    expect(kinds(r)).toEqual(["4:modified", "7:modified"]);
    expect(r.breaks[0]!.detail).toMatch(/entry 4 differs from its anchor/);
  });

  it("skips the anchors of another chain (a shared sink), with a count, and never reads them as deleted entries", async () => {
    const prod = chainOf(4);
    const staging = chainOf(9).map((r) => rehash({ ...r, actorEmail: "staging@demo.local" }));
    // Relink staging so that it is a valid chain of its own.
    let prev = GENESIS_HASH;
    const stagingChain = staging.map((r) => {
      const x = rehash({ ...r, id: `10000000-0000-4000-8000-${String(r.seq).padStart(12, "0")}` }, prev);
      prev = x.hash;
      return x;
    });
    const shared = [anchorOf(prod[3]!, prod), anchorOf(stagingChain[8]!, stagingChain), anchorOf(stagingChain[2]!, stagingChain)];
    const r = await verifyChain(prod, { anchors: shared });
    expect(r).toMatchObject({ ok: true, anchors: { read: 3, checked: 1, skippedOtherChain: 2, beyondEnd: 0, latest: { seq: 4 } } });
    // Without the chain id, the same staging anchor would read as a deleted tail.
    const { chain: _c, genesisId: _g, ...unnamed } = shared[1]!;
    expect(await verifyChain(prod, { anchors: [unnamed] })).toMatchObject({ ok: false, breaks: [{ kind: "truncated" }] });
  });

  it("reads entry 1 rewritten (a new chain id) as a break, not as another chain", async () => {
    const c = chainOf(4);
    const anchors = [anchorOf(c[3]!, c)];
    const forged = rewrite(c, 1);
    const r = await verifyChain(forged, { anchors });
    expect(r).toMatchObject({ ok: false, breaks: [{ seq: 1, kind: "modified" }], anchors: { skippedOtherChain: 0, failed: 1 } });
  });

  it("segment: from the previous anchor to the head, as the anchorer verifies before it anchors", async () => {
    const c = chainOf(10);
    const genesis = { id: c[0]!.id, hash: c[0]!.hash };
    const from = { seq: 6, hash: c[5]!.hash };
    expect(await verifyChain(c.slice(5), { mode: "segment", from, genesis, anchors: [anchorOf(c[5]!, c)] })).toMatchObject({
      ok: true,
      entries: 5,
      head: { seq: 10 },
    });
    // Rewritten before the anchor, every later hash recomputed: the segment's first entry differs.
    const forged = rewrite(c, 3);
    expect(kinds(await verifyChain(forged.slice(5), { mode: "segment", from, genesis, anchors: [anchorOf(c[5]!, c)] }))).toEqual(["6:modified"]);
    // The anchored entry and what follows deleted.
    expect(kinds(await verifyChain(c.slice(0, 4).slice(5), { mode: "segment", from, genesis }))).toEqual(["1:truncated"]);
  });

  it("subset: gaps are allowed; each entry's hash, consecutive links and the anchors at its seqs are checked", async () => {
    const c = chainOf(8);
    const subset = [c[1]!, c[2]!, c[5]!, c[7]!];
    expect(await verifyChain(subset, { mode: "subset" })).toMatchObject({ ok: true, entries: 4, head: { seq: 8 } });
    expect(kinds(await verifyChain([c[1]!, { ...c[5]!, outcome: "failed" }], { mode: "subset" }))).toEqual(["6:modified"]);
    expect(kinds(await verifyChain([c[1]!, rehash(c[2]!, "c".repeat(64))], { mode: "subset" }))).toEqual(["3:inserted"]);
    expect(kinds(await verifyChain([c[5]!, c[1]!], { mode: "subset" }))).toEqual(["2:inserted"]);
    // Without entry 1 the subset learns its chain from the caller (the export's header).
    const genesis = { id: c[0]!.id, hash: c[0]!.hash };
    expect(kinds(await verifyChain(subset, { mode: "subset", genesis, anchors: [{ ...anchorOf(c[5]!, c), hash: "d".repeat(64) }] }))).toEqual(["6:modified"]);
    expect(await verifyChain(subset, { mode: "subset", anchors: [{ ...anchorOf(c[5]!, c), hash: "d".repeat(64) }] })).toMatchObject({
      ok: true,
      anchors: { skippedOtherChain: 1 },
    });
  });
});

describe("verifyExportLines: an exported NDJSON file", () => {
  it("verifies a complete export as the whole chain", async () => {
    const c = chainOf(6);
    expect(await verifyExportLines(lines(c))).toMatchObject({ ok: true, entries: 6, mode: "complete", head: { seq: 6 } });
  });

  it("the verifier's flag decides complete or subset, not the file's header", async () => {
    const c = chainOf(6);
    const subset = [c[0]!, c[3]!, c[4]!];
    const saysSubset = lines(subset, { format: EXPORT_FORMAT, version: 1, exportedAt: "2026-01-04T00:00:00Z", complete: false });
    // A header claiming a subset does not make the file pass as one...
    expect(await verifyExportLines(saysSubset)).toMatchObject({ ok: false, mode: "complete", breaks: [{ seq: 2, through: 3, kind: "deleted" }] });
    // ...the flag does.
    expect(await verifyExportLines(saysSubset, { mode: "subset" })).toMatchObject({ ok: true, mode: "subset", entries: 3 });
    expect(await verifyExportLines(lines(subset, null, false))).toMatchObject({ ok: false, breaks: [{ seq: 2, kind: "deleted" }], mode: "complete" });
    expect(await verifyExportLines(lines(subset, null, false), { mode: "subset" })).toMatchObject({ ok: true, mode: "subset" });
  });

  it("refuses an unknown export version, or another format", async () => {
    const c = chainOf(2);
    await expect(verifyExportLines(lines(c, { format: EXPORT_FORMAT, version: 2, exportedAt: "2026-01-04T00:00:00Z", complete: true }))).rejects.toThrow(
      ExportFormatError,
    );
    await expect(verifyExportLines(lines(c, { format: EXPORT_FORMAT, exportedAt: "2026-01-04T00:00:00Z", complete: true }))).rejects.toThrow(/version/);
    await expect(verifyExportLines(lines(c, { format: "something-else", version: 1 }))).rejects.toThrow(ExportFormatError);
  });

  it("names a changed line, a removed line and a cut-off file, all in one pass", async () => {
    const c = chainOf(6);
    const changed = lines(c).map((l) => l.replace('"reason":"r4"', '"reason":"r four"'));
    expect(kinds(await verifyExportLines(changed))).toEqual(["4:modified"]);
    const removed = lines(c).filter((l) => !l.includes('"reason":"r2"'));
    expect(kinds(await verifyExportLines(removed))).toEqual(["2:deleted", "7:truncated"]);
    expect(kinds(await verifyExportLines(lines(c).slice(0, -2)))).toEqual(["6:truncated"]);
    const all = lines(c)
      .map((l) => l.replace('"reason":"r4"', '"reason":"r four"'))
      .filter((l) => !l.includes('"reason":"r2"'));
    expect(kinds(await verifyExportLines(all))).toEqual(["2:deleted", "4:modified", "7:truncated"]);
  });

  it("reports a line that is not an export line as malformed, and goes on", async () => {
    const c = chainOf(3);
    const l = lines(c);
    l.splice(2, 0, "{not json");
    const r = await verifyExportLines(l);
    expect(r).toMatchObject({ ok: false, entries: 3, breaks: [{ kind: "malformed", detail: expect.stringMatching(/^line 3/) }] });
    const wrongType = lines(c).map((x, i) => (i === 1 ? x.replace('"seq":1', '"seq":"1"') : x));
    expect(kinds(await verifyExportLines(wrongType))).toEqual(["1:malformed", "1:deleted", "4:truncated"]);
  });

  it("checks the anchors chosen for the export's header", async () => {
    const c = chainOf(6);
    let seen: unknown;
    const r = await verifyExportLines(lines(c.slice(0, 4)), {
      anchors: async (header) => {
        seen = header?.exportedAt;
        return [anchorOf(c[5]!, c)];
      },
    });
    expect(seen).toBe("2026-01-04T00:00:00.000Z");
    expect(r).toMatchObject({ ok: false, breaks: [{ seq: 5, kind: "truncated" }] });
  });

  it("round-trips every hashed field through the export row", async () => {
    const [r] = chainOf(1);
    const withJson = rehash({
      ...r!,
      params: { nested: { b: [1, null, "x"], a: -0.5 } },
      detail: { perTarget: { items: [], total: 0 } },
      request: { ip: null },
    });
    expect(await verifyExportLines(lines([withJson]))).toMatchObject({ ok: true, entries: 1 });
  });
});

describe("one column list: the table's (issue 11 point 8)", () => {
  it("the export's columns, the hash body and the record keys are the table's columns", () => {
    const table = Object.values(getTableColumns(auditLog)).map((c) => c.name);
    expect(AUDIT_COLUMNS.map((c) => c.name)).toEqual(table);
    expect(EXPORT_COLUMNS).toEqual(table);
    expect(AUDIT_BODY_COLUMNS.map((c) => c.name)).toEqual(table.filter((n) => n !== "prev_hash" && n !== "hash"));
    const [r] = chainOf(1);
    expect(Object.keys(toExportRow(r!))).toEqual(table);
    expect(Object.keys(fromExportRow(toExportRow(r!))).sort()).toEqual(Object.keys(r!).sort());
  });

  it("hashes the body columns only: a record with more keys hashes the same, and every column counts", () => {
    const [r] = chainOf(1);
    expect(hashEntry(GENESIS_HASH, { ...r!, extra: "not a column" } as AuditRecord)).toBe(r!.hash);
    for (const c of AUDIT_BODY_COLUMNS) {
      const changed = { ...r!, [c.key]: c.kind === "number" ? 99 : c.kind === "json" ? { x: 1 } : "changed" } as AuditRecord;
      expect(hashEntry(GENESIS_HASH, changed), c.name).not.toBe(r!.hash);
    }
  });
});
