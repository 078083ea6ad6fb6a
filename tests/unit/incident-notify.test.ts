/**
 * The webhook payloads (JSON and Slack-compatible) and the retry backoff (exponential with full
 * jitter) of lib/recovery/incidents/notify.ts, as pure functions: no database, no network.
 */
import { describe, expect, it } from "vitest";
import type { IncidentRow } from "@/lib/db/queries/incidents";
import { LEVEL_ASKS } from "@/lib/recovery/incidents/escalation";
import { backoffMs, payloadFor, type RetryPolicy } from "@/lib/recovery/incidents/notify";

const T0 = Date.parse("2026-01-03T14:02:00Z");
const min = 60_000;
const CONSOLE = "https://console.example.com";

function incident(over: Partial<IncidentRow> = {}): IncidentRow {
  return {
    id: 42,
    ref: "INC-42",
    scenario: 1,
    title: "Signals stopped",
    status: "open",
    startedAt: new Date(T0).toISOString(),
    detectedAt: new Date(T0 + 5000).toISOString(),
    level: 1,
    maxLevel: 1,
    checkIds: ["signals-recent"],
    okStreak: 0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    commander: null,
    resolvedAt: null,
    checklist: {},
    ...over,
  };
}

/** A seeded PRNG (mulberry32), so the sampled statistics below are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("importing notify.ts", () => {
  it("opens no database pool (the stores are created lazily, on first use)", () => {
    expect((globalThis as { __rcStores?: unknown }).__rcStores).toBeUndefined();
  });
});

describe("payloadFor: Slack-compatible format", () => {
  it("is a single `text` field with the ref, the title and a link to the incident page", () => {
    const body = payloadFor("opened", incident(), "slack", CONSOLE, T0 + min);
    expect(body).toEqual({ text: `INC-42 opened: Signals stopped (runbook scenario 1) <${CONSOLE}/incidents/42|open>` });
  });

  it("joins the link without a double slash when the public URL ends in slashes", () => {
    const body = payloadFor("opened", incident(), "slack", `${CONSOLE}//`, T0);
    expect(body.text).toMatch(new RegExp(`<${CONSOLE.replace(/\./g, "\\.")}/incidents/42\\|open>$`));
  });

  it("has no link when no public URL is configured", () => {
    const body = payloadFor("opened", incident(), "slack", undefined, T0);
    expect(body).toEqual({ text: "INC-42 opened: Signals stopped (runbook scenario 1)" });
    expect(body.text).not.toContain("<");
  });

  it("says what happened for each event: who acknowledged, the level reached and what it asks for, the time to resolve", () => {
    const acked = payloadFor("acknowledged", incident({ acknowledgedBy: "oncall@example.com" }), "slack", CONSOLE, T0 + 3 * min);
    expect(acked.text).toBe(`INC-42 acknowledged by oncall@example.com: Signals stopped <${CONSOLE}/incidents/42|open>`);

    const escalated = payloadFor("escalated", incident({ level: 2, maxLevel: 2 }), "slack", CONSOLE, T0 + 16 * min);
    expect(escalated.text).toBe(`INC-42 escalated to level 2 after 16 min: ${LEVEL_ASKS[2]} <${CONSOLE}/incidents/42|open>`);
    expect(escalated.text).toContain("L2: engage the on-call engineer");

    const l3 = payloadFor("escalated", incident({ level: 3, maxLevel: 3 }), "slack", undefined, T0 + 31 * min);
    expect(l3.text).toBe("INC-42 escalated to level 3 after 31 min: L3: halt trading and notify stakeholders");

    const resolved = payloadFor(
      "resolved",
      incident({ status: "resolved", resolvedAt: new Date(T0 + 42 * min).toISOString() }),
      "slack",
      undefined,
      T0 + 42 * min,
    );
    expect(resolved.text).toBe("INC-42 resolved after 42 min: Signals stopped");
  });
});

describe("payloadFor: JSON format", () => {
  it("carries the event, the same text and the incident's fields, with its URL and the time sent", () => {
    const now = T0 + 16 * min;
    const inc = incident({ level: 2, maxLevel: 2, acknowledgedBy: "oncall@example.com", acknowledgedAt: new Date(T0 + 2 * min).toISOString() });
    const body = payloadFor("escalated", inc, "json", `${CONSOLE}/`, now);
    expect(body).toEqual({
      event: "escalated",
      text: `INC-42 escalated to level 2 after 16 min: ${LEVEL_ASKS[2]}`,
      incident: {
        id: 42,
        ref: "INC-42",
        title: "Signals stopped",
        scenario: 1,
        status: "open",
        level: 2,
        startedAt: "2026-01-03T14:02:00.000Z",
        acknowledgedBy: "oncall@example.com",
        resolvedAt: null,
        url: `${CONSOLE}/incidents/42`,
      },
      sentAt: new Date(now).toISOString(),
    });
    // What goes over the wire is plain JSON.
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it("leaves the URL out when no public URL is configured, and the link stays out of the text", () => {
    const body = payloadFor("resolved", incident({ status: "resolved", resolvedAt: new Date(T0 + 5 * min).toISOString() }), "json", undefined, T0 + 5 * min);
    expect(body).toMatchObject({
      event: "resolved",
      text: "INC-42 resolved after 5 min: Signals stopped",
      incident: { status: "resolved", resolvedAt: "2026-01-03T14:07:00.000Z" },
    });
    expect(JSON.parse(JSON.stringify(body)).incident).not.toHaveProperty("url");
    expect(JSON.stringify(body)).not.toContain("/incidents/");
  });

  it("differs from the Slack format only in shape: the text is the same", () => {
    for (const event of ["opened", "acknowledged", "escalated", "resolved"] as const) {
      const json = payloadFor(event, incident(), "json", undefined, T0 + min) as { text: string };
      const slack = payloadFor(event, incident(), "slack", undefined, T0 + min);
      expect(Object.keys(slack)).toEqual(["text"]);
      expect(json.text).toBe(slack.text);
      expect(json).toMatchObject({ event });
    }
  });
});

describe("backoffMs: exponential backoff with full jitter", () => {
  const policy: RetryPolicy = { attempts: 10, baseMs: 100, capMs: 5000 };
  const ceiling = (attempt: number, p: RetryPolicy = policy) => Math.min(p.capMs, p.baseMs * 2 ** (attempt - 1));

  it("spans 0 to min(cap, base·2^(attempt-1)): the extremes of the random draw", () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect(backoffMs(attempt, policy, () => 0)).toBe(0);
      expect(backoffMs(attempt, policy, () => 0.999_999_999)).toBe(ceiling(attempt));
    }
    // The ceilings themselves: doubling from the base, then held at the cap.
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffMs(a, policy, () => 0.999_999_999))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("stays within its bounds over many samples, and is spread over the whole range (jitter)", () => {
    const random = seeded(7);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const c = ceiling(attempt);
      const samples = Array.from({ length: 2000 }, () => backoffMs(attempt, policy, random));
      expect(samples.filter((v) => !Number.isInteger(v) || v < 0 || v > c)).toEqual([]);
      // Full jitter: the draws cover the range rather than clustering at the ceiling.
      expect(Math.min(...samples)).toBeLessThan(0.05 * c);
      expect(Math.max(...samples)).toBeGreaterThan(0.95 * c);
      expect(new Set(samples).size).toBeGreaterThan(Math.min(50, c / 2));
    }
  });

  it("grows with the attempt until the cap: the mean delay doubles", () => {
    const random = seeded(11);
    const mean = (attempt: number) => {
      let sum = 0;
      for (let i = 0; i < 4000; i++) sum += backoffMs(attempt, policy, random);
      return sum / 4000;
    };
    const means = [1, 2, 3, 4, 5, 6].map(mean);
    for (let i = 1; i < means.length; i++) {
      expect(means[i]! / means[i - 1]!).toBeGreaterThan(1.8);
      expect(means[i]! / means[i - 1]!).toBeLessThan(2.2);
    }
    // Each mean is about half its ceiling (uniform draw).
    means.forEach((m, i) => expect(m / ceiling(i + 1)).toBeCloseTo(0.5, 1));
  });

  it("uses Math.random and the default policy (1 s base, 60 s cap) when none is given", () => {
    for (let i = 0; i < 500; i++) {
      const first = backoffMs(1);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(1000);
      const late = backoffMs(12);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(60_000);
    }
    const lates = Array.from({ length: 500 }, () => backoffMs(12));
    // Capped at 60 s rather than 1 s · 2^11 ≈ 34 min; and jittered, not a constant.
    expect(Math.max(...lates)).toBeGreaterThan(30_000);
    expect(new Set(lates).size).toBeGreaterThan(100);
  });
});
