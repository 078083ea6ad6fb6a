/**
 * Floods of refusals write a bounded number of audit entries, keep the exact count, and the chain
 * verifies (lib/recovery/audit/fold.ts). On a scratch console store, so the counts are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRefusal, flushRefusals, MAX_KEYS, MAX_OVERFLOW_KEYS, type RefusalInput } from "@/lib/recovery/audit/fold";
import { verifyChain } from "@/lib/recovery/audit/verify";
import { openAuditCursor, recordsOf } from "@/lib/db/queries/audit";
import type { AuditRecord } from "@/lib/recovery/audit/writer";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

let db: Scratch;

beforeAll(async () => {
  db = await createScratchDb("audit_fold");
  await switchConsoleStore(db.url);
});

afterAll(async () => {
  await flushRefusals();
  await switchConsoleStore(undefined);
  await db.drop();
});

async function entries(): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of recordsOf(await openAuditCursor({ deadlineMs: 20_000 }))) out.push(r);
  return out;
}

const denial = (ip: string, requestId: string): RefusalInput => ({
  actor: { id: "u-viewer", email: "viewer@example.com", role: "viewer" },
  action: "audit.read",
  outcome: "denied",
  detail: { permission: "audit.read", reason: "role viewer lacks audit.read" },
  request: { requestId, ip, userAgent: "flood", path: "/api/audit/export" },
});

/** The refusals an audit stands for: entries written on their own, plus what the summaries folded. */
const refusalsIn = (rs: AuditRecord[]) => rs.reduce((n, r) => n + ((r.detail as { folded?: number } | null)?.folded ?? 1), 0);

describe("a flood of denials", () => {
  it("10,000 identical denials in a burst write 2 entries whose counts sum to 10,000", async () => {
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => auditRefusal(denial("192.0.2.1", `r${i}`), "audit.read")));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    await flushRefusals();
    const rs = await entries();
    expect(rs).toHaveLength(2);
    expect(rs[1]).toMatchObject({
      action: "audit.read",
      outcome: "denied",
      actorEmail: "viewer@example.com",
      detail: { folded: 9999, firstSeq: rs[0]!.seq, windowSeconds: 60 },
    });
    expect(refusalsIn(rs)).toBe(10_000);
    expect(await verifyChain(recordsOf(await openAuditCursor({ deadlineMs: 20_000 })))).toMatchObject({ ok: true, entries: 2 });
  });

  it("10,000 denials from 10,000 clients write at most 2 × (MAX_KEYS + overflow keys) entries, and keep the count", async () => {
    const before = (await entries()).length;
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => auditRefusal(denial(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `s${i}`), "audit.read")),
    );
    await flushRefusals();
    const rs = (await entries()).slice(before);
    expect(rs.length).toBeLessThanOrEqual(2 * (MAX_KEYS + MAX_OVERFLOW_KEYS + 1));
    // 1,000 clients tracked (written at once), then one overflow key for audit.read: its first, and its summary.
    expect(rs).toHaveLength(MAX_KEYS + 2);
    expect(rs.at(-1)).toMatchObject({ actorEmail: null, action: "audit.read", detail: { overflow: true, folded: 10_000 - MAX_KEYS - 1 } });
    expect(refusalsIn(rs)).toBe(10_000);
    expect((await verifyChain(recordsOf(await openAuditCursor({ deadlineMs: 20_000 })))).ok).toBe(true);
  }, 60_000);
});
