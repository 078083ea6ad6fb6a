/**
 * The export (GET /api/audit/export's body, lib/recovery/audit/export.ts) against a scratch
 * console store holding 100k entries: streamed with bounded memory, verifiable offline, audited.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportAudit } from "@/lib/recovery/audit/export";
import { verifyExportLines } from "@/lib/recovery/audit/export-format";
import { openAuditCursor } from "@/lib/db/queries/audit";
import { closeStores } from "@/lib/db/client";
import { seedAuditEntries } from "../support/audit-seed";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";
import postgres from "postgres";

const ROWS = 100_000;

// Live heap, not heap plus garbage: a full collection before each sample (V8's own gc, exposed
// at run time), so the bound measures what the export keeps, not when the collector last ran.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
const auditor = { id: "u-auditor", email: "auditor@example.com", role: "auditor" };
const request = { requestId: "req-export", ip: "10.0.0.9", userAgent: "vitest", path: "/api/audit/export" };

let scratch: Scratch;
let sql: postgres.Sql;

beforeAll(async () => {
  scratch = await createScratchDb("export");
  sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
  // About 600 bytes per entry as exported: big enough that buffering the set would show.
  await seedAuditEntries(sql, ROWS, (i) => ({
    actor: { id: `u-${i % 7}`, email: `user${i % 7}@example.com`, role: "oncall" },
    action: i % 1000 === 0 ? "test.special" : "directives.cancel_stale",
    phase: "event",
    outcome: i % 5 === 0 ? "failed" : "succeeded",
    reason: i % 1000 === 0 ? `=HYPERLINK("http://evil.example") row ${i}` : `routine cleanup number ${i} after the trade director stalled`,
    incidentRef: `INC-${i % 50}`,
    params: { olderThanSeconds: 600, symbol: "EURUSD", batch: i },
    detail: { perTarget: { items: [{ target: `directive-${i}`, outcome: "cancelled" }], total: 1, truncated: false }, durationMs: i % 97 },
    request: { requestId: `req-${i}`, ip: "10.1.2.3", userAgent: "Mozilla/5.0 (X11; Linux x86_64) vitest", path: "/" },
    at: new Date(Date.UTC(2026, 0, 1) + i * 1000),
  }));
  await switchConsoleStore(scratch.url);
}, 120_000);

afterAll(async () => {
  await switchConsoleStore(undefined);
  await closeStores();
  await sql.end();
  await scratch.drop();
});

/** RFC 4180 (quotes, doubled quotes, separators and newlines inside quotes) to objects by header. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  const [header, ...data] = rows;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

/** The body's lines, sampling the heap after every chunk. */
async function* linesOf(body: ReadableStream<Uint8Array>, onChunk: (bytes: number) => void): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    onChunk(value.byteLength);
    const parts = (rest + decoder.decode(value, { stream: true })).split("\n");
    rest = parts.pop() ?? "";
    yield* parts;
  }
  if (rest) yield rest;
}

describe("audit export", () => {
  it("streams 100k entries as NDJSON with bounded memory, and the file verifies offline as the whole chain", async () => {
    const baseline = liveHeap();
    let peak = baseline;
    let chunks = 0;
    const res = await exportAudit({ actor: auditor, request, filters: {}, format: "ndjson" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const intentSeq = Number(res.headers.get("x-audit-export-seq"));

    const result = await verifyExportLines(
      linesOf(res.body!, (bytes) => {
        // Every 10th chunk, and any big one (a buffering export sends few, huge chunks).
        if (chunks++ % 10 === 0 || bytes > 2 ** 21) peak = Math.max(peak, liveHeap());
      }),
    );

    // The export is a snapshot taken as it opened, just before its own intent entry was written.
    expect(result).toMatchObject({ ok: true, entries: ROWS, mode: "complete", head: { seq: ROWS } });
    expect(intentSeq).toBe(ROWS + 1);
    expect(result.header).toMatchObject({ complete: true, intentSeq, exportedBy: auditor.email });
    // Measured: under 5 MB; about 120 MB when the whole set is fetched as one batch.
    const growthMb = (peak - baseline) / 2 ** 20;
    expect(growthMb).toBeLessThan(32);
    expect(chunks).toBeGreaterThan(50);

    const [outcome] = await sql<{ outcome: string; detail: { rows: number }; params: { format: string } }[]>`
      select outcome, detail, params from console.audit_log where intent_seq = ${intentSeq} and phase = 'outcome'`;
    expect(outcome).toMatchObject({ outcome: "succeeded", detail: { rows: ROWS }, params: { format: "ndjson" } });
  }, 120_000);

  it("exports a filtered subset as CSV with escaped formulas, and as NDJSON that verifies as a subset", async () => {
    const filters = { action: "test.special" };
    const csv = await exportAudit({ actor: auditor, request, filters, format: "csv" });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename="audit-.*\.csv"/);
    const rows = parseCsv(await csv.text());
    expect(rows).toHaveLength(ROWS / 1000);
    expect(Object.keys(rows[0]!)).toEqual(
      expect.arrayContaining(["seq", "at", "actor_email", "action", "outcome", "reason", "params", "detail", "request", "prev_hash", "hash"]),
    );
    expect(rows.every((r) => r.action === "test.special")).toBe(true);
    // A spreadsheet must not run the reason as a formula.
    expect(rows[0]!.reason).toMatch(/^'=HYPERLINK/);
    expect(JSON.parse(rows[0]!.params!)).toMatchObject({ symbol: "EURUSD" });

    const nd = await exportAudit({ actor: auditor, request, filters, format: "ndjson" });
    const lines = (await nd.text()).trimEnd().split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ complete: false, filters });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, entries: ROWS / 1000 });
    // The verifier decides how to check the file: as a subset it holds; as the complete chain
    // (the default, whatever the header says) the entries the filter left out read as deleted.
    const result = await verifyExportLines(lines, { mode: "subset" });
    expect(result).toMatchObject({ ok: true, mode: "subset", entries: ROWS / 1000 });
    const asComplete = await verifyExportLines(lines);
    expect(asComplete).toMatchObject({ ok: false, mode: "complete" });
    expect(asComplete.breaks.every((b) => b.kind === "deleted")).toBe(true);
    // The header names the chain (entry 1), so that a subset tells this chain's anchors from another's.
    const [genesis] = await sql<{ id: string; hash: string }[]>`select id, hash from console.audit_log where seq = 1`;
    expect(JSON.parse(lines[0]!)).toMatchObject({ chain: { id: genesis!.id, hash: genesis!.hash } });

    // A byte changed in the file is caught offline.
    const tampered = [...lines];
    tampered[2] = tampered[2]!.replace('"outcome":"succeeded"', '"outcome":"failed"').replace('"outcome":"failed"', '"outcome":"denied"');
    expect(await verifyExportLines(tampered, { mode: "subset" })).toMatchObject({
      ok: false,
      breakCount: 1,
      breaks: [{ kind: "modified", seq: JSON.parse(lines[2]!).seq }],
    });
  });

  it("records a partial outcome when the client stops reading, and frees the connection", async () => {
    const res = await exportAudit({ actor: auditor, request, filters: {}, format: "csv" });
    const intentSeq = Number(res.headers.get("x-audit-export-seq"));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const [outcome] = await sql<{ outcome: string; detail: { rows: number; aborted: string } }[]>`
      select outcome, detail from console.audit_log where intent_seq = ${intentSeq} and phase = 'outcome'`;
    expect(outcome?.outcome).toBe("partial");
    expect(outcome?.detail.rows).toBeLessThan(ROWS);
    // The long-read slots are free again: two reads can open at once.
    const a = await openAuditCursor({ deadlineMs: 10_000 });
    const b = await openAuditCursor({ deadlineMs: 10_000 });
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses an export beyond the concurrent long reads with 429, and audits it as throttled", async () => {
    const held = [await openAuditCursor({ deadlineMs: 10_000 }), await openAuditCursor({ deadlineMs: 10_000 })];
    try {
      const res = await exportAudit({ actor: auditor, request, filters: {}, format: "csv" });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBeTruthy();
      const [entry] = await sql<{ outcome: string; action: string }[]>`select outcome, action from console.audit_log order by seq desc limit 1`;
      expect(entry).toEqual({ outcome: "throttled", action: "audit.export" });
    } finally {
      await Promise.all(held.map((c) => c.close()));
    }
  });
});
