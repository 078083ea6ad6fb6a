/**
 * Folding of repeated refusals (lib/recovery/audit/fold.ts), with a fake append and fake timers.
 * The database side (10,000 denials, the chain verifies) is tests/db/audit-fold.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RefusalFolder, type RefusalInput } from "@/lib/recovery/audit/fold";
import type { AuditInput, AuditRecord } from "@/lib/recovery/audit/hash";

let written: AuditInput[];
let failNext: boolean;

function folder(opts: { maxKeys?: number; maxOverflowKeys?: number } = {}) {
  return new RefusalFolder({
    append: async (input) => {
      if (failNext) {
        failNext = false;
        throw new Error("store down");
      }
      written.push(input);
      return { seq: written.length } as AuditRecord;
    },
    windowMs: 60_000,
    onSummaryError: () => {},
    ...opts,
  });
}

const denial = (email: string, ip = "192.0.2.1", permission = "audit.read"): RefusalInput => ({
  actor: { id: `id-${email}`, email, role: "viewer" },
  action: permission,
  outcome: "denied",
  detail: { permission },
  request: { requestId: randomId(), ip, userAgent: "ua", path: "/api/x" },
});
let n = 0;
const randomId = () => `r${++n}`;
const folded = (e: AuditInput) => (e.detail as { folded?: number }).folded;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-01-03T14:00:00Z") });
  written = [];
  failNext = false;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("RefusalFolder", () => {
  it("writes the first refusal at once, counts repeats, and closes the window with one summary", async () => {
    const f = folder();
    expect(await f.record(denial("a@x.io"), "audit.read")).toMatchObject({ seq: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    for (let i = 0; i < 99; i++) expect(await f.record(denial("a@x.io"), "audit.read")).toBeNull();
    expect(written).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(49_999);
    expect(written).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(written).toHaveLength(2);
    expect(written[1]).toMatchObject({
      actor: { email: "a@x.io" },
      action: "audit.read",
      outcome: "denied",
      phase: "event",
      detail: { permission: "audit.read", folded: 99, firstAt: "2026-01-03T14:00:00.000Z", lastAt: "2026-01-03T14:00:10.000Z", windowSeconds: 60, firstSeq: 1 },
    });
    expect(f.size).toBe(0);
    // The next one opens a new window: written at once.
    expect(await f.record(denial("a@x.io"), "audit.read")).toMatchObject({ seq: 3 });
  });

  it("writes no summary for a window without repeats", async () => {
    const f = folder();
    await f.record(denial("a@x.io"), "audit.read");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(written).toHaveLength(1);
    expect(f.size).toBe(0);
  });

  it("keeps different actors, clients, paths, codes and outcomes apart", async () => {
    const f = folder();
    await f.record(denial("a@x.io"), "audit.read");
    await f.record(denial("b@x.io"), "audit.read");
    await f.record(denial("a@x.io", "192.0.2.2"), "audit.read");
    await f.record(denial("a@x.io", "192.0.2.1", "users.manage"), "users.manage");
    await f.record({ ...denial("a@x.io"), request: { ip: "192.0.2.1", path: "/api/y" } }, "audit.read");
    await f.record({ ...denial("a@x.io"), outcome: "throttled" }, "audit.read");
    expect(written).toHaveLength(6);
  });

  it("bounds the keys: past maxKeys, new keys fold into one overflow key per action, then one for all", async () => {
    const f = folder({ maxKeys: 3, maxOverflowKeys: 1 });
    for (let i = 0; i < 10; i++) await f.record(denial(`u${i}@x.io`), "audit.read");
    for (let i = 0; i < 5; i++) await f.record(denial(`v${i}@x.io`, "192.0.2.1", "users.manage"), "users.manage");
    // 3 keys, the first overflow (audit.read), then the overflow for everything (users.manage).
    expect(written).toHaveLength(5);
    expect(f.size).toBe(5);
    await f.flush();
    const summaries = written.slice(5);
    expect(summaries).toEqual([
      expect.objectContaining({ actor: null, action: "audit.read", outcome: "denied", detail: expect.objectContaining({ overflow: true, folded: 6 }) }),
      expect.objectContaining({ actor: null, action: "audit.refusals", outcome: "denied", detail: expect.objectContaining({ overflow: true, folded: 4 }) }),
    ]);
    // Exact count: entries written on their own plus the folded ones.
    expect(written.filter((e) => folded(e) === undefined).length + summaries.reduce((s, e) => s + folded(e)!, 0)).toBe(15);
  });

  it("counts a first refusal that could not be written in its window's summary, and rethrows", async () => {
    const f = folder();
    failNext = true;
    await expect(f.record(denial("a@x.io"), "audit.read")).rejects.toThrow(/store down/);
    expect(await f.record(denial("a@x.io"), "audit.read")).toBeNull();
    await f.flush();
    expect(written).toEqual([expect.objectContaining({ detail: expect.objectContaining({ folded: 2, firstSeq: null }) })]);
  });

  it("flush closes every window at once (shutdown)", async () => {
    const f = folder();
    for (let i = 0; i < 3; i++) await f.record(denial("a@x.io"), "audit.read");
    for (let i = 0; i < 4; i++) await f.record(denial("b@x.io"), "audit.read");
    await f.flush();
    expect(written.map(folded)).toEqual([undefined, undefined, 2, 3]);
    expect(f.size).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(written).toHaveLength(4);
  });
});
