/**
 * The audit view's data: every filter, keyset pagination across pages in both directions, the
 * entry detail with its intent/outcome links, "outcome unknown", and "Verify now" recording
 * itself. Against a scratch console store, so that counts are exact.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAuditEntry, getLatestVerification, listAuditEntries, listAuditFacets, type AuditListEntry } from "@/lib/db/queries/audit";
import { parseAuditFilters, parseAuditPage, type AuditFilters } from "@/lib/recovery/audit/filters";
import type { AuditRecord } from "@/lib/recovery/audit/hash";
import { verifyAndRecord } from "@/lib/recovery/audit/verify-store";
import { readLatestAnchor } from "@/lib/recovery/audit/anchors";
import { seedAuditEntries } from "../support/audit-seed";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

const N = 130;
const T0 = Date.UTC(2026, 0, 3, 12, 0, 0);
const actors = ["alice@example.com", "bob@example.com", "cli:root"];
const actions = ["circuit.reset", "users.add", "users.set_role", "auth.login"];
const outcomes = ["succeeded", "failed", "denied", "refused", "succeeded"] as const;

let scratch: Scratch;
let sql: postgres.Sql;
let seeded: AuditRecord[];
let intentWithOutcome: AuditRecord;
let outcomeEntry: AuditRecord;
let orphanIntent: AuditRecord;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-review-"));
  scratch = await createScratchDb("review");
  sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
  // One entry a minute; a few shapes repeat with different periods so filters cross.
  const base = await seedAuditEntries(
    sql,
    N,
    (i) => ({
      actor: { id: `id-${i % 3}`, email: actors[i % 3]!, role: "oncall" },
      action: actions[i % 4]!,
      outcome: outcomes[i % 5]!,
      reason: i % 6 === 0 ? `Stuck directives 100% of the queue (run ${i})` : `routine ${i}`,
      incidentRef: i % 10 === 0 ? "INC-42" : null,
      at: new Date(T0 + i * 60_000),
    }),
    { keep: true },
  );
  seeded = base.records;
  // An action whose outcome was written, and one whose outcome never was.
  const more = await seedAuditEntries(
    sql,
    3,
    (i) =>
      [
        {
          actor: { email: "alice@example.com" },
          action: "directives.cancel_stale",
          phase: "intent" as const,
          outcome: "pending" as const,
          reason: "cancel the stale ones",
          at: new Date(T0 + (N + 1) * 60_000),
        },
        {
          actor: { email: "bob@example.com" },
          action: "sessions.terminate_idle",
          phase: "intent" as const,
          outcome: "pending" as const,
          reason: "idle sessions",
          at: new Date(T0 + (N + 2) * 60_000),
        },
        {
          actor: { email: "alice@example.com" },
          action: "directives.cancel_stale",
          phase: "outcome" as const,
          intentSeq: N + 1,
          outcome: "partial" as const,
          reason: "cancel the stale ones",
          detail: {
            perTarget: {
              items: [
                { target: "d-1", outcome: "cancelled" },
                { target: "d-2", outcome: "skipped_locked" },
              ],
              total: 2,
              truncated: false,
            },
          },
          at: new Date(T0 + (N + 3) * 60_000),
        },
      ][i]!,
    { keep: true },
  );
  [intentWithOutcome, orphanIntent, outcomeEntry] = more.records as [AuditRecord, AuditRecord, AuditRecord];
  seeded.push(...more.records);
  await switchConsoleStore(scratch.url);
}, 60_000);

afterAll(async () => {
  await switchConsoleStore(undefined);
  await sql.end();
  await scratch.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every entry matching the filters, page by page (older links), newest first. */
async function allPages(filters: AuditFilters, limit: number): Promise<{ seqs: number[]; pages: AuditListEntry[][] }> {
  const pages: AuditListEntry[][] = [];
  let before: number | undefined;
  for (;;) {
    const page = await listAuditEntries({ filters, page: { limit, before } });
    pages.push(page.entries);
    if (page.older === null) break;
    before = page.older;
  }
  return { seqs: pages.flat().map((e) => e.seq), pages };
}

const expected = (pred: (r: AuditRecord) => boolean) =>
  seeded
    .filter(pred)
    .map((r) => r.seq)
    .sort((a, b) => b - a);

describe("audit review: filters and keyset pagination", () => {
  it("pages through everything newest first with no gap and no repeat, and back again", async () => {
    const { seqs, pages } = await allPages({}, 50);
    expect(seqs).toEqual(expected(() => true));
    expect(pages.map((p) => p.length)).toEqual([50, 50, 33]);

    // Newer links from the last page lead back through the same pages.
    const second = await listAuditEntries({ filters: {}, page: { limit: 50, before: pages[0]!.at(-1)!.seq } });
    expect(second.entries.map((e) => e.seq)).toEqual(pages[1]!.map((e) => e.seq));
    expect(second.newer).toBe(pages[1]![0]!.seq);
    const back = await listAuditEntries({ filters: {}, page: { limit: 50, after: second.newer! } });
    expect(back.entries.map((e) => e.seq)).toEqual(pages[0]!.map((e) => e.seq));
    expect(back.newer).toBeNull();
    expect(back.older).toBe(pages[0]!.at(-1)!.seq);
  });

  it.each<[string, AuditFilters, (r: AuditRecord) => boolean]>([
    ["actor", { actor: "bob@example.com" }, (r) => r.actorEmail === "bob@example.com"],
    ["action, exact", { action: "users.add" }, (r) => r.action === "users.add"],
    ["action, prefix", { action: "users.*" }, (r) => r.action.startsWith("users.")],
    ["outcome", { outcome: "denied" }, (r) => r.outcome === "denied"],
    ["incident ref", { incident: "INC-42" }, (r) => r.incidentRef === "INC-42"],
    [
      "text in the reason, case-insensitive, % taken literally",
      { q: "STUCK directives 100%" },
      (r) => !!r.reason?.toLowerCase().includes("stuck directives 100%"),
    ],
    [
      "time range (from inclusive, to exclusive)",
      { from: new Date(T0 + 30 * 60_000).toISOString(), to: new Date(T0 + 90 * 60_000).toISOString() },
      (r) => r.at >= new Date(T0 + 30 * 60_000).toISOString() && r.at < new Date(T0 + 90 * 60_000).toISOString(),
    ],
    [
      "several at once",
      { actor: "alice@example.com", action: "circuit.reset", outcome: "succeeded" },
      (r) => r.actorEmail === "alice@example.com" && r.action === "circuit.reset" && r.outcome === "succeeded",
    ],
  ])("filters by %s, across pages", async (_name, filters, pred) => {
    const want = expected(pred);
    expect(want.length).toBeGreaterThan(3);
    const { seqs } = await allPages(filters, 4);
    expect(seqs).toEqual(want);
  });

  it("parses the filters from the URL the way the page and the export do", async () => {
    const params = new URLSearchParams({ actor: " Bob@Example.com ", action: "users.*", from: "2026-01-03T12:30:00", before: "100", limit: "20" });
    const { filters, errors } = parseAuditFilters(params);
    expect(errors).toEqual([]);
    expect(filters).toEqual({ actor: "bob@example.com", action: "users.*", from: "2026-01-03T12:30:00.000Z" });
    const page = parseAuditPage(params);
    expect(page).toEqual({ before: 100, limit: 20 });
    const list = await listAuditEntries({ filters, page });
    expect(list.entries.map((e) => e.seq)).toEqual(
      expected((r) => r.actorEmail === "bob@example.com" && r.action.startsWith("users.") && r.at >= filters.from! && r.seq < 100).slice(0, 20),
    );
  });

  it('flags an intent without an outcome as "outcome unknown", and finds such intents by filter', async () => {
    const list = await listAuditEntries({ filters: { action: "directives.*" }, page: { limit: 10 } });
    const byseq = new Map(list.entries.map((e) => [e.seq, e]));
    expect(byseq.get(intentWithOutcome.seq)).toMatchObject({ outcomeUnknown: false, resolution: { seq: outcomeEntry.seq, outcome: "partial" } });
    expect(byseq.get(outcomeEntry.seq)).toMatchObject({ outcomeUnknown: false, intentSeq: intentWithOutcome.seq });
    const unknown = await listAuditEntries({ filters: { outcome: "unknown" }, page: { limit: 10 } });
    expect(unknown.entries.map((e) => e.seq)).toEqual([orphanIntent.seq]);
    expect(unknown.entries[0]).toMatchObject({ outcomeUnknown: true, resolution: null });
  });

  it("opens an entry's detail with its links both ways and its neighbour's hash", async () => {
    const outcome = await getAuditEntry({ seq: outcomeEntry.seq });
    expect(outcome).toMatchObject({
      entry: { seq: outcomeEntry.seq, hash: outcomeEntry.hash, detail: { perTarget: { total: 2 } } },
      previousHash: orphanIntent.hash,
      intent: { seq: intentWithOutcome.seq, outcome: "pending" },
      outcomes: [],
    });
    const intent = await getAuditEntry({ seq: intentWithOutcome.seq });
    expect(intent?.outcomes).toEqual([expect.objectContaining({ seq: outcomeEntry.seq, outcome: "partial" })]);
    expect(await getAuditEntry({ seq: 10_000 })).toBeNull();
  });

  it("suggests every actor and action for the filter form", async () => {
    const facets = await listAuditFacets();
    expect(facets.actors).toEqual([...new Set(seeded.map((r) => r.actorEmail!))].sort());
    expect(facets.actions).toEqual([...new Set(seeded.map((r) => r.action))].sort());
  });
});

describe("audit review: Verify now", () => {
  it("verifies against every anchor, records the verification, and anchors the verified head", async () => {
    const anchors = path.join(tmp, "anchors.ndjson");
    const auditor = { id: "u-aud", email: "auditor@example.com", role: "auditor" };
    const first = await verifyAndRecord({ actor: auditor, request: { requestId: "r1", path: "/audit" }, via: "ui", anchor: true, anchorFile: anchors });
    const head = seeded.at(-1)!;
    expect(first.verification.result).toMatchObject({ ok: true, entries: head.seq, head: { seq: head.seq, hash: head.hash } });
    expect(first.entry).toMatchObject({ action: "audit.verify", outcome: "succeeded", actorEmail: auditor.email, seq: head.seq + 1 });
    // The anchor names its chain: entry 1's hash and id.
    expect(first.anchored?.anchor).toMatchObject({ seq: head.seq, hash: head.hash, chain: seeded[0]!.hash, genesisId: seeded[0]!.id });
    expect((await readLatestAnchor(anchors)).anchor).toMatchObject({ seq: head.seq, hash: head.hash });
    expect(await getLatestVerification()).toMatchObject({ seq: head.seq + 1, detail: { via: "ui", result: "ok", entries: head.seq, head: { seq: head.seq } } });

    // The second verification is checked against the first one's anchor, and covers its entry.
    const second = await verifyAndRecord({ actor: auditor, via: "ui", anchor: false, anchorFile: anchors });
    expect(second.verification.result.anchors).toMatchObject({ read: 1, checked: 1, failed: 0, latest: { seq: head.seq } });
    expect(second.verification.result).toMatchObject({ ok: true, entries: head.seq + 1 });
    expect(second.anchored).toBeNull();
  });
});
