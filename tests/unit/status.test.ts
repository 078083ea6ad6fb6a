import { describe, expect, it } from "vitest";
import type { CheckResult, CheckStatus } from "@/lib/recovery/health/checks/types";
import type { Snapshot } from "@/lib/recovery/health/snapshot";
import { describeDuration, describeSince } from "@/components/status/describe";
import { buildStatus } from "@/lib/recovery/health/status";

const NOW = "2026-11-27T14:20:00.000Z";
const IDS = [
  "signals_recent",
  "directives_stale_pending",
  "circuit_breaker",
  "executions_failed",
  "db_connections",
  "idle_transactions",
  "worker_rate_limit",
  "ea_heartbeat",
];

function check(id: string, status: CheckStatus = "ok", extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    title: id,
    status,
    value: 1,
    unit: "",
    summary: `${id} summary`,
    threshold: "",
    detail: {},
    observedAt: NOW,
    durationMs: 3,
    scenario: null,
    ...extra,
  };
}

/** Every check green; tests mutate what they need. */
function healthySnapshot(): Snapshot {
  return { generatedAt: NOW, refreshSeconds: 5, checks: IDS.map((id) => check(id)) } as Snapshot;
}

function withCheck(s: Snapshot, id: string, status: CheckStatus, extra: Partial<CheckResult> = {}): Snapshot {
  return { ...s, checks: s.checks.map((c) => (c.id === id ? { ...c, status, ...extra } : c)) };
}

describe("stakeholder status", () => {
  it("says trading is operating normally when every check is green", () => {
    const s = buildStatus(healthySnapshot());
    expect(s.overall).toEqual({ level: "operational", headline: "Trading systems: operating normally", since: null, area: null });
    expect(s.areas.map((a) => [a.id, a.level])).toEqual([
      ["signals", "operational"],
      ["directives", "operational"],
      ["execution", "operational"],
      ["database", "operational"],
      ["market_data", "operational"],
    ]);
    expect(s.incident).toBeNull();
    expect(s.generatedAt).toBe(NOW);
  });

  it("reports a warning on the EA heartbeat as delayed order execution, since the status began", () => {
    const s = buildStatus(withCheck(healthySnapshot(), "ea_heartbeat", "warn", { since: { at: "2026-11-27T14:02:00.000Z", exact: true } }));
    expect(s.overall).toMatchObject({ level: "degraded", headline: "Degraded: order execution delayed", since: "2026-11-27T14:02:00.000Z", area: "execution" });
    expect(s.areas.find((a) => a.id === "execution")).toMatchObject({ level: "degraded", summary: "Order execution delayed" });
  });

  it("maps each check to its area", () => {
    const cases: Array<[string, string]> = [
      ["signals_recent", "signals"],
      ["directives_stale_pending", "directives"],
      ["circuit_breaker", "directives"],
      ["executions_failed", "execution"],
      ["ea_heartbeat", "execution"],
      ["db_connections", "database"],
      ["idle_transactions", "database"],
      ["worker_rate_limit", "market_data"],
    ];
    for (const [id, area] of cases) {
      const s = buildStatus(withCheck(healthySnapshot(), id, "critical"));
      expect(
        s.areas.filter((a) => a.level !== "operational").map((a) => a.id),
        id,
      ).toEqual([area]);
      expect(s.overall.level).toBe("outage");
    }
  });

  it("leads with the worst area and counts the others", () => {
    let snap = withCheck(healthySnapshot(), "worker_rate_limit", "warn");
    snap = withCheck(snap, "signals_recent", "critical");
    const s = buildStatus(snap);
    expect(s.overall.headline).toBe("Outage: no new trading signals (and 1 other area affected)");
    expect(s.overall.area).toBe("signals");
  });

  it("says an area cannot be checked when its check is unknown, and ignores checks not configured here", () => {
    let snap = withCheck(healthySnapshot(), "db_connections", "unknown", { error: { code: "db.timeout", message: "no answer within 5000 ms" } });
    snap = withCheck(snap, "circuit_breaker", "unknown", { detail: { configured: false } });
    const s = buildStatus(snap);
    expect(s.areas.find((a) => a.id === "database")).toMatchObject({ level: "unknown", summary: "The database cannot be checked" });
    expect(s.areas.find((a) => a.id === "directives")).toMatchObject({ level: "operational", monitored: true });
    expect(s.overall.headline).toBe("Status unknown: the database cannot be checked");
  });

  it("marks an area no check covers as not monitored, without letting it spoil the headline", () => {
    const snap = { ...healthySnapshot(), checks: healthySnapshot().checks.filter((c) => c.id !== "worker_rate_limit") };
    const s = buildStatus(snap);
    expect(s.areas.find((a) => a.id === "market_data")).toMatchObject({ monitored: false, level: "unknown" });
    expect(s.overall.level).toBe("operational");
  });

  it("finds when a problem began from the monitor's history when the snapshot does not say", () => {
    const snap = withCheck(healthySnapshot(), "signals_recent", "critical");
    const history = [
      { t: "2026-11-27T13:50:00.000Z", status: "ok" as const, value: 4 },
      { t: "2026-11-27T14:01:00.000Z", status: "warn" as const, value: 1 },
      { t: "2026-11-27T14:05:00.000Z", status: "critical" as const, value: 0 },
      { t: NOW, status: "critical" as const, value: 0 },
    ];
    const s = buildStatus(snap, { history: (id) => (id === "signals_recent" ? history : []) });
    expect(s.overall.since).toBe("2026-11-27T14:01:00.000Z");
  });

  it("puts an open incident first", () => {
    const s = buildStatus(withCheck(healthySnapshot(), "circuit_breaker", "critical"), {
      incident: { level: 3, title: "trading halted", startedAt: "2026-11-27T13:40:00.000Z" },
    });
    expect(s.overall.headline).toBe("Incident level 3: trading halted");
    expect(s.overall.since).toBe("2026-11-27T13:40:00.000Z");
    expect(s.incident?.level).toBe(3);
  });

  it("keeps the plain-words headline below level 3, with the incident and its public notes alongside", () => {
    const s = buildStatus(withCheck(healthySnapshot(), "circuit_breaker", "critical"), {
      incident: {
        level: 2,
        title: "orders are not being processed",
        startedAt: "2026-11-27T13:40:00.000Z",
        publicNotes: [{ at: "2026-11-27T13:45:00.000Z", text: "Engineers are restarting the trade director" }],
      },
    });
    expect(s.overall.headline).toMatch(/^(Outage|Degraded)/);
    expect(s.incident).toMatchObject({ level: 2, publicNotes: [{ text: "Engineers are restarting the trade director" }] });
  });

  it("carries no SQL, addresses, DB user names or check details", () => {
    let snap = healthySnapshot();
    snap = withCheck(snap, "idle_transactions", "critical", {
      summary: "2 sessions idle in transaction: select * from trade_directives for update",
      detail: { sessions: [{ pid: 4242, usename: "trader_app", client_addr: "10.1.2.3", query: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity" }] },
      error: { code: "db.error", message: "permission denied for user trader_app at 10.1.2.3" },
    });
    const json = JSON.stringify(buildStatus(snap)).toLowerCase();
    for (const secret of ["select", "pg_", "trader_app", "10.1.2.3", "4242", "usename", "client_addr", "permission denied", 'summary":"2 sessions']) {
      expect(json).not.toContain(secret);
    }
  });

  it("writes times for people: the start in local time and how long ago", () => {
    expect(describeSince("2026-11-27T14:02:00.000Z", Date.parse(NOW), { timeZone: "UTC" })).toBe("since 14:02 (18 min)");
    expect(describeDuration(30_000)).toBe("less than a minute");
    expect(describeDuration(125 * 60_000)).toBe("2 h 5 min");
    expect(describeDuration(120 * 60_000)).toBe("2 h");
  });
});
