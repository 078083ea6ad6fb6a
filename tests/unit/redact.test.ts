import { describe, expect, it } from "vitest";
import type { CheckResult } from "@/lib/recovery/health/checks/types";
import { redactCheck, redactChecks } from "@/lib/recovery/access/redact";

const SQL = "update accounts set balance = 0 where id = 42";

function idleCheck(): CheckResult {
  return {
    id: "idle_transactions",
    title: "Idle in transaction",
    status: "warn",
    value: 1,
    unit: "session",
    summary: "1 session idle in transaction for more than 10 min; oldest 12 min (pid 4242, distortsignals-api)",
    threshold: "warn from 1",
    detail: {
      olderThanSeconds: 600,
      runbookCount: 1,
      sessions: [
        {
          pid: 4242,
          database: "distortsignals",
          user: "distortsignals_app",
          application: "distortsignals-api",
          client: "10.0.0.7",
          idleSeconds: 720,
          query: SQL,
          excluded: null,
        },
      ],
    },
    observedAt: "2026-12-03T10:00:00.000Z",
    durationMs: 3,
    scenario: 3,
  };
}

describe("least data in health details", () => {
  it("removes other sessions' SQL text, database user and client address for a caller without health.details, and says which", () => {
    const c = redactCheck(idleCheck(), false);
    expect(c.detail.sessions).toEqual([{ pid: 4242, database: "distortsignals", application: "distortsignals-api", idleSeconds: 720, excluded: null }]);
    expect(c.detail.hidden).toEqual(["client", "query", "user"]);
    const text = JSON.stringify(c);
    for (const secret of [SQL, "distortsignals_app", "10.0.0.7"]) expect(text).not.toContain(secret);
    // Statuses and values stay.
    expect(c).toMatchObject({ status: "warn", value: 1, detail: { runbookCount: 1, olderThanSeconds: 600 } });
  });

  it("leaves the check whole for a caller with health.details", () => {
    const original = idleCheck();
    expect(redactCheck(original, true)).toBe(original);
  });

  it("finds these fields in any check's detail, at any depth, and leaves checks without them untouched", () => {
    const other: CheckResult = { ...idleCheck(), id: "future_check", detail: { groups: [{ rows: [{ usename: "app", client_addr: "10.0.0.8", n: 2 }] }] } };
    expect(redactCheck(other, false).detail).toEqual({ groups: [{ rows: [{ n: 2 }] }], hidden: ["client_addr", "usename"] });
    const plain: CheckResult = { ...idleCheck(), id: "db_connections", detail: { byState: [{ state: "active", count: 3 }] } };
    expect(redactCheck(plain, false)).toBe(plain);
  });

  it("does not change the shared snapshot it is given", () => {
    const snapshot = { generatedAt: "2026-12-03T10:00:00.000Z", refreshSeconds: 5, checks: [idleCheck()] };
    const seen = redactChecks(snapshot, false);
    expect(JSON.stringify(seen)).not.toContain(SQL);
    expect(JSON.stringify(snapshot)).toContain(SQL);
    expect(seen.generatedAt).toBe(snapshot.generatedAt);
  });
});
