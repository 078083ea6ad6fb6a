import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/recovery/canonical-json";
import { GENESIS_HASH, hashEntry, type AuditBody } from "@/lib/recovery/audit/writer";

describe("canonical JSON (the audit chain's hashing format)", () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [3, { d: 1, c: 2 }] } }, '{"z":{"x":[3,{"c":2,"d":1}],"y":1}}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [[undefined, 1], "[null,1]"],
    [{ n: -0, f: 1.5, big: 1e21, small: 1e-7 }, '{"big":1e+21,"f":1.5,"n":0,"small":1e-7}'],
    [{ s: 'quote " and \\ and \n and é' }, '{"s":"quote \\" and \\\\ and \\n and é"}'],
    [{ at: new Date("2026-01-03T14:02:00Z") }, '{"at":"2026-01-03T14:02:00.000Z"}'],
    [{ id: 12345678901234567890n }, '{"id":"12345678901234567890"}'],
    [{ B: 1, a: 2, _: 3 }, '{"B":1,"_":3,"a":2}'],
  ])("encodes case %# as %s", (input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it("refuses values that would not survive a round trip through jsonb", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ x: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson({ x: new Map() })).toThrow(/Map/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });

  it("hashes an entry as SHA-256(prev_hash || canonical JSON) (fixed vector)", () => {
    const body: AuditBody = {
      seq: 1,
      id: "00000000-0000-4000-8000-000000000001",
      at: "2026-01-03T14:02:00.000Z",
      actorId: "u1",
      actorEmail: "oncall@demo.local",
      actorRole: "oncall",
      action: "auth.login",
      phase: "event",
      intentSeq: null,
      outcome: "succeeded",
      reason: null,
      incidentRef: null,
      params: null,
      detail: { method: "password" },
      request: null,
    };
    expect(canonicalJson(body)).toBe(
      '{"action":"auth.login","actorEmail":"oncall@demo.local","actorId":"u1","actorRole":"oncall","at":"2026-01-03T14:02:00.000Z","detail":{"method":"password"},"id":"00000000-0000-4000-8000-000000000001","incidentRef":null,"intentSeq":null,"outcome":"succeeded","params":null,"phase":"event","reason":null,"request":null,"seq":1}',
    );
    // Computed independently: printf '%s' "$GENESIS$CANONICAL" | sha256sum
    expect(hashEntry(GENESIS_HASH, body)).toBe("8ae742319f01fcee75651af4a663c228f07c70b6cd6937ed9023ee4748dfae03");
  });
});
