/**
 * Hash what is stored: whatever texts a caller passes (lone UTF-16 surrogates, NUL, combining
 * marks, emoji, RTL marks, 10 KB strings, jsonb's number and key quirks), an entry written by
 * appendAudit reads back through the verifier's own query (openAuditCursor, recordsOf) with the
 * hash it was written with, and the chain verifies. On a scratch console store: a failure here
 * must not break the shared chain the other suites verify.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit, type AuditInput, type AuditRecord } from "@/lib/recovery/audit/writer";
import { verifyChain } from "@/lib/recovery/audit/verify";
import { openAuditCursor, recordsOf } from "@/lib/db/queries/audit";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

let db: Scratch;
const written: AuditRecord[] = [];

beforeAll(async () => {
  db = await createScratchDb("audit_input");
  await switchConsoleStore(db.url);
});

afterAll(async () => {
  await switchConsoleStore(undefined);
  await db.drop();
});

async function readBack(): Promise<AuditRecord[]> {
  const cursor = await openAuditCursor({ deadlineMs: 20_000 });
  const out: AuditRecord[] = [];
  for await (const r of recordsOf(cursor)) out.push(r);
  return out;
}

async function verifyAll() {
  const cursor = await openAuditCursor({ deadlineMs: 20_000 });
  return verifyChain(recordsOf(cursor));
}

async function write(input: AuditInput): Promise<AuditRecord> {
  const r = await appendAudit(input);
  written.push(r);
  return r;
}

describe("audit entries read back exactly as hashed", () => {
  it("the failed sign-in of issue 11: an email with a lone surrogate, as a JSON body", async () => {
    const r = await write({
      actor: { email: "ana\uD800@example.com" },
      action: "auth.login",
      outcome: "failed",
      detail: { method: "password", reason: "invalid_credentials" },
      request: { requestId: "r1", ip: "203.0.113.9", userAgent: "curl\uDC00/8", path: "/api/auth/callback/credentials" },
    });
    expect(r.actorEmail).toBe("ana\uFFFD@example.com");
    const [back] = (await readBack()).filter((x) => x.seq === r.seq);
    expect(back).toEqual(r);
    expect(await verifyAll()).toMatchObject({ ok: true, head: { seq: r.seq, hash: r.hash } });
  });

  it.each([
    ["lone surrogates", "\uD800 \uDC00 \uDC00\uD800 end\uD83D"],
    ["NUL", "a\u0000b\u0000"],
    ["combining marks", "e\u0301 a\u0308\u0323 \u00e9"],
    ["emoji", "🚀 👍🏽 👨‍👩‍👧 🇫🇷"],
    ["RTL marks and overrides", "\u200Fשלום\u200E \u202Eabc\u202C \u061C"],
    ["a 10 KB text", "é🚀\u200F\u0301".repeat(2048)],
    ["a 10 KB text with broken surrogates throughout", "x\uDBFF".repeat(5120)],
  ])("%s in every text field, params keys and values, and request metadata", async (_name, s) => {
    const r = await write({
      actor: { id: s, email: s, role: s },
      action: `test.${s.slice(0, 20)}`,
      outcome: "refused",
      reason: s,
      incidentRef: s,
      params: { [s]: s, nested: [{ [`k${s.slice(0, 10)}`]: s }] },
      detail: { error: s },
      request: { requestId: "r", ip: null, userAgent: s, path: `/${s}` },
    });
    const [back] = (await readBack()).filter((x) => x.seq === r.seq);
    expect(back).toEqual(r);
    expect((await verifyAll()).ok).toBe(true);
  });

  it("jsonb's normalizations: numbers, duplicate keys after repair, key order, __proto__", async () => {
    const params = JSON.parse('{"__proto__":{"z":1,"a":2},"b":1}') as Record<string, unknown>;
    Object.assign(params, {
      one: 1.0,
      negZero: -0,
      big: 1e21,
      huge: 1e300,
      tiny: 5e-324,
      beyond53: 2 ** 53 + 2,
      maxSafePlus: 9007199254740993, // not representable: the double 9007199254740992
      tenth: 0.1,
      third: 1 / 3,
      "\uD800": "first",
      "\uDC00": "second (same key once repaired: the later one stays)",
      date: new Date("2026-01-03T14:02:00Z"),
    });
    const r = await write({ actor: null, action: "test.jsonb", outcome: "succeeded", params, detail: { list: [1.5, -0, 1e-7, null, true] } });
    const [back] = (await readBack()).filter((x) => x.seq === r.seq);
    expect(back).toEqual(r);
    expect((back!.params as Record<string, unknown>)["\uFFFD"]).toBe("second (same key once repaired: the later one stays)");
    expect((await verifyAll()).ok).toBe(true);
  });

  it("property: random texts, including invalid UTF-16 and NUL, never break the chain", async () => {
    const unit = fc.oneof(
      { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 6 },
      { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 2 },
      { arbitrary: fc.constantFrom("\u0000", "\u0301", "\u200F", "\u202E", "🚀", "\uFFFD"), weight: 1 },
    );
    const hostile = fc.string({ unit, maxLength: 30 });
    const value = fc.oneof(hostile, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null));
    const params = fc.dictionary(hostile, fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.dictionary(hostile, value, { maxKeys: 3 })), { maxKeys: 5 });
    const before = written.length;
    await fc.assert(
      fc.asyncProperty(hostile, hostile, params, hostile, async (email, reason, p, userAgent) => {
        await write({
          actor: { email },
          action: "test.property",
          outcome: "failed",
          reason,
          params: p,
          request: { requestId: "r", ip: "192.0.2.1", userAgent, path: "/login" },
        });
      }),
      { numRuns: 150 },
    );
    expect(written.length - before).toBeGreaterThanOrEqual(150);
    const back = await readBack();
    const bySeq = new Map(back.map((r) => [r.seq, r]));
    for (const r of written) expect(bySeq.get(r.seq)).toEqual(r);
    expect(await verifyAll()).toMatchObject({ ok: true, entries: back.length });
  }, 60_000);
});
