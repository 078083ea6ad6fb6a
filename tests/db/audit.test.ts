import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { verifyChain } from "@/lib/recovery/audit/verify";
import { streamAuditRecords } from "@/lib/db/queries/audit-records";
import { closeStores } from "@/lib/db/client";
import { connect, type Sql } from "../support/db";

let app: Sql;

// Tampering (which breaks the chain on purpose) lives in audit-tamper.test.ts, on scratch
// databases: this file shares the test console store with the other suites.
beforeAll(() => {
  app = connect("console");
});

afterAll(async () => {
  await app.end();
  await closeStores();
});

const actor = { id: "u-1", email: "oncall@example.com", role: "oncall" };

describe("audit log", () => {
  it("chains entries: each links to the previous hash and the chain verifies", async () => {
    const a = await appendAudit({ actor, action: "test.first", outcome: "succeeded", params: { n: 1, at: new Date("2026-01-01T00:00:00Z") } });
    const b = await appendAudit({ actor, action: "test.second", outcome: "failed", detail: { error: "x" } });
    expect(b.seq).toBe(a.seq + 1);
    expect(b.prevHash).toBe(a.hash);
    const result = await verifyChain(streamAuditRecords(app));
    expect(result).toMatchObject({ ok: true, head: { seq: b.seq, hash: b.hash } });
  });

  it("keeps seq gap-free and the chain unforked with 20 concurrent writers", async () => {
    const [{ max: before }] = await app<[{ max: number }]>`select coalesce(max(seq), 0)::int as max from console.audit_log`;
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendAudit({ actor, action: "test.concurrent", outcome: "succeeded", params: { i } })));
    const rows = await app<{ seq: string }[]>`select seq from console.audit_log where seq > ${before} order by seq`;
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
    expect((await verifyChain(streamAuditRecords(app))).ok).toBe(true);
  });

  it("keeps the chain unforked with 20 writers in their own transactions on their own connections (as separate console instances)", async () => {
    // In one process appendAudit batches concurrent entries into one transaction; across processes
    // only the advisory lock orders them. Each writer here is a separate backend, as another
    // instance would be, and holds its transaction open a moment after appending.
    const writers = connect("console", { max: 20 });
    try {
      const [{ max: before }] = await app<[{ max: number }]>`select coalesce(max(seq), 0)::int as max from console.audit_log`;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          writers.begin(async (tx) => {
            await appendAudit({ actor, action: "test.instances", outcome: "succeeded", params: { i } }, { tx: tx as unknown as Sql });
            await tx`select pg_sleep(0.01)`;
          }),
        ),
      );
      const rows = await app<
        { seq: string; prev_hash: string; hash: string }[]
      >`select seq, prev_hash, hash from console.audit_log where seq > ${before} order by seq`;
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
      expect((await verifyChain(streamAuditRecords(app))).ok).toBe(true);
    } finally {
      await writers.end();
    }
  });

  it("rejects UPDATE, DELETE and TRUNCATE through the app's connection", async () => {
    await expect(app`update console.audit_log set reason = 'edited' where seq = 1`).rejects.toThrow(/append-only/);
    await expect(app`delete from console.audit_log where seq = 1`).rejects.toThrow(/append-only/);
    await expect(app`truncate console.audit_log`).rejects.toThrow(/append-only/);
    const [{ count }] = await app<[{ count: number }]>`select count(*)::int as count from console.audit_log where reason = 'edited'`;
    expect(count).toBe(0);
  });
});
