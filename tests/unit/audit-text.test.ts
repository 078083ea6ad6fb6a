/**
 * The audit writer hashes exactly what PostgreSQL will hand back (storedText, storedJson in
 * lib/recovery/audit/hash.ts), and the edges refuse what cannot be stored (lib/validation/text.ts).
 * The round trip through a real database is in tests/db/audit-input.test.ts.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildBody, GENESIS_HASH, hashEntry, storedJson, storedText } from "@/lib/recovery/audit/hash";
import { canonicalJson } from "@/lib/recovery/canonical-json";
import { isStorableText, MALFORMED_TEXT_MESSAGE, text } from "@/lib/validation/text";

const FFFD = "\uFFFD";

describe("storedText: a text as the database keeps it", () => {
  it.each([
    ["lone high surrogate", "a\uD800b", `a${FFFD}b`],
    ["lone low surrogate", "\uDC00", FFFD],
    ["reversed pair", "\uDC00\uD800", FFFD + FFFD],
    ["high surrogate at the end", "x\uD83D", `x${FFFD}`],
    ["NUL", "a\u0000b", `a${FFFD}b`],
    ["NUL and a lone surrogate", "\u0000\uD800", FFFD + FFFD],
    ["emoji (a surrogate pair)", "ok 🚀 👍🏽", "ok 🚀 👍🏽"],
    ["combining marks (not normalized: e + U+0301 stays two code points)", "e\u0301 vs \u00e9", "e\u0301 vs \u00e9"],
    ["RTL and LTR marks, RTL override", "\u200Fשלום\u200E \u202Eabc", "\u200Fשלום\u200E \u202Eabc"],
    ["control characters other than NUL", "\u0001\u001f\u007f", "\u0001\u001f\u007f"],
    ["U+FFFD itself", FFFD, FFFD],
  ])("%s", (_name, input, expected) => {
    expect(storedText(input)).toBe(expected);
    // What postgres.js sends for a text column: the UTF-8 encoding, lone surrogates as U+FFFD.
    if (!input.includes("\0")) expect(Buffer.from(input, "utf8").toString("utf8")).toBe(expected);
  });

  it("keeps a 10 KB text whole, and repairs one with surrogates broken throughout", () => {
    const long = "é🚀\u200F".repeat(2560); // 10,240 code units
    expect(storedText(long)).toBe(long);
    const broken = "a\uD800".repeat(5120);
    expect(storedText(broken)).toBe(`a${FFFD}`.repeat(5120));
  });
});

describe("storedJson: a JSON value as jsonb hands it back", () => {
  it.each([
    ["strings inside", { s: "a\uD800", arr: ["\u0000", 1] }, { s: `a${FFFD}`, arr: [FFFD, 1] }],
    ["keys", { "k\uDC00": 1, "\u0000": 2 }, { [`k${FFFD}`]: 1, [FFFD]: 2 }],
    ["keys that become one keep the later value (jsonb keeps the last duplicate)", { "\uD800": 1, "\uDC00": 2 }, { [FFFD]: 2 }],
    ["nested", { a: { "\uD800x": [{ b: "\u0000" }] } }, { a: { [`${FFFD}x`]: [{ b: FFFD }] } }],
    ["undefined dropped, Date as ISO text", { u: undefined, d: new Date("2026-01-03T14:02:00Z") }, { d: "2026-01-03T14:02:00.000Z" }],
    ["numbers as JSON reads them", { a: 1.0, b: -0, c: 1e21, d: 2 ** 53 + 2, e: 1e-7 }, { a: 1, b: 0, c: 1e21, d: 2 ** 53 + 2, e: 1e-7 }],
  ])("%s", (_name, input, expected) => {
    expect(storedJson(input)).toEqual(expected);
  });

  it("keeps a key named __proto__ as a key", () => {
    const v = storedJson(JSON.parse('{"__proto__":{"x":"\\ud800"}}')) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect(canonicalJson(v)).toBe(`{"__proto__":{"x":"${FFFD}"}}`);
  });

  it("top-level undefined is null", () => {
    expect(storedJson(undefined)).toBeNull();
  });
});

describe("buildBody hashes what is stored (fixed vectors)", () => {
  const at = new Date("2026-01-03T14:02:00.000Z");
  const id = "00000000-0000-4000-8000-000000000001";
  const hostile = {
    actor: { id: "u\u0000", email: "ana\uD800@example.com", role: "oncall" },
    action: "auth.login",
    outcome: "failed" as const,
    reason: "e\u0301 🚀 \u200Fשלום\u0000",
    incidentRef: "INC-\uDC00",
    params: { "\uD800": "x\u0000", n: 1.0 },
    detail: { reason: "invalid_credentials" },
    request: { requestId: "r1", ip: "203.0.113.9", userAgent: "UA\uD83D", path: "/login\u0000" },
  };
  const repaired = {
    actor: { id: `u${FFFD}`, email: `ana${FFFD}@example.com`, role: "oncall" },
    action: "auth.login",
    outcome: "failed" as const,
    reason: `e\u0301 🚀 \u200Fשלום${FFFD}`,
    incidentRef: `INC-${FFFD}`,
    params: { [FFFD]: `x${FFFD}`, n: 1 },
    detail: { reason: "invalid_credentials" },
    request: { requestId: "r1", ip: "203.0.113.9", userAgent: `UA${FFFD}`, path: `/login${FFFD}` },
  };

  it("an entry with malformed texts hashes like the same entry with U+FFFD in their place", () => {
    const a = buildBody(hostile, 1, id, at);
    const b = buildBody(repaired, 1, id, at);
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(a.actorEmail).toBe(`ana${FFFD}@example.com`);
    expect(a.reason).toBe(`e\u0301 🚀 \u200Fשלום${FFFD}`);
    expect(canonicalJson(a)).toBe(
      `{"action":"auth.login","actorEmail":"ana${FFFD}@example.com","actorId":"u${FFFD}","actorRole":"oncall","at":"2026-01-03T14:02:00.000Z",` +
        `"detail":{"reason":"invalid_credentials"},"id":"${id}","incidentRef":"INC-${FFFD}","intentSeq":null,"outcome":"failed",` +
        `"params":{"n":1,"${FFFD}":"x${FFFD}"},"phase":"event","reason":"e\u0301 🚀 \u200Fשלום${FFFD}",` +
        `"request":{"ip":"203.0.113.9","path":"/login${FFFD}","requestId":"r1","userAgent":"UA${FFFD}"},"seq":1}`,
    );
    expect(hashEntry(GENESIS_HASH, a)).toBe("6629cbbd9d0f124bbe841c5e2a2912f66b53a00f3a5a7f2f5dc7efe0cafb8df3");
  });

  it("the hashed text is valid UTF-8 with no NUL: what the database can store", () => {
    const json = canonicalJson(buildBody(hostile, 1, id, at));
    expect(json.isWellFormed()).toBe(true);
    expect(json).not.toContain("\u0000");
    expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it("a 10 KB reason hashes whole", () => {
    const reason = "🚀\u200F".repeat(3413) + "é"; // 10,240 code units
    expect(buildBody({ actor: null, action: "x", outcome: "succeeded", reason }, 1, id, at).reason).toBe(reason);
  });
});

describe("text(): the edge's string rule", () => {
  const schema = z.object({ email: text().trim().min(3).max(320) });

  it.each([
    ["a lone surrogate", "ana\uD800@example.com"],
    ["a NUL", "ana\u0000@example.com"],
    ["a reversed pair", "\uDC00\uD83Dana@example.com"],
  ])("refuses %s with a field error", (_name, email) => {
    const r = schema.safeParse({ email });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ["email"], message: MALFORMED_TEXT_MESSAGE })]);
  });

  it("accepts emoji, combining marks, RTL marks and long texts, and chains like z.string()", () => {
    for (const s of ["ana🚀@example.com", "e\u0301@x.io", "\u200Fabc@x.io"]) expect(schema.safeParse({ email: ` ${s} ` }).data).toEqual({ email: s });
    expect(text().max(10_240).safeParse("é".repeat(10_240)).success).toBe(true);
    expect(isStorableText("🚀")).toBe(true);
    expect(isStorableText("\uD83D")).toBe(false);
    expect(text({ message: "Give a reason." }).safeParse(undefined).error?.issues[0]?.message).toBe("Give a reason.");
  });
});
