/**
 * The runbook file parser (lib/recovery/runbook/parse.ts) on the shipped runbook and on edited
 * variants: a new scenario, a reordered step, a removed section, annotations, malformed files.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { policyFrom } from "@/lib/recovery/incidents/escalation";
import { renderSteps, runbookConfig, type Scenario } from "@/lib/recovery/runbook/model";
import { runbookDiff } from "@/lib/recovery/runbook/diff";
import { parseRunbook, type Runbook } from "@/lib/recovery/runbook/parse";

const SHIPPED = fs.readFileSync("runbook/recovery-runbook.md", "utf8");
const CHECKS = [
  "signals_recent",
  "directives_stale_pending",
  "circuit_breaker",
  "executions_failed",
  "db_connections",
  "idle_transactions",
  "worker_rate_limit",
  "ea_heartbeat",
];

function parse(md: string): Runbook {
  const r = parseRunbook(md, { knownCheckIds: CHECKS });
  if (!r.ok) throw new Error(`expected to parse: ${JSON.stringify(r.problems)}`);
  return r.runbook;
}
function problems(md: string) {
  const r = parseRunbook(md, { knownCheckIds: CHECKS });
  if (r.ok) throw new Error("expected problems");
  return r.problems;
}
/** Replace exactly one occurrence, so an edit that misses fails the test rather than testing nothing. */
function edit(md: string, from: string, to: string): string {
  expect(md.split(from).length - 1).toBe(1);
  return md.replace(from, to);
}
const lineOf = (md: string, needle: string) => md.split("\n").findIndex((l) => l.includes(needle)) + 1;

/** A scenario as plain data: what the console shows and binds. */
const shape = (s: Scenario) => ({
  number: s.number,
  title: s.title,
  checkIds: s.checkIds,
  contacts: s.contacts,
  steps: s.steps.map((st) =>
    st.kind === "action" ? { kind: st.kind, text: st.text, action: st.action, checkId: st.checkId } : { kind: st.kind, text: st.text },
  ),
});

describe("the shipped runbook", () => {
  const rb = parse(SHIPPED);

  it("yields the five scenarios with their steps, action bindings and check bindings", () => {
    expect(rb.scenarios.map(shape)).toEqual([
      {
        number: 1,
        title: "Signal Generator Crash",
        checkIds: ["signals_recent"],
        contacts: ["oncall"],
        steps: [
          { kind: "command", text: "Check logs" },
          { kind: "command", text: "Verify database connectivity" },
          { kind: "command", text: "Restart service (or container equivalent)" },
          { kind: "manual", text: "Verify recovery: Check for new entries in signal_outbox" },
        ],
      },
      {
        number: 2,
        title: "Trade Director Not Processing Directives",
        checkIds: ["directives_stale_pending", "circuit_breaker"],
        contacts: ["oncall"],
        steps: [
          { kind: "manual", text: "Check circuit breaker status in logs" },
          { kind: "manual", text: "Verify MT5 connection: Check execution_officer polling logs" },
          { kind: "action", text: "Reset circuit breaker", action: "circuit.reset", checkId: "circuit_breaker" },
          {
            kind: "action",
            text: "Manual intervention if needed: Update directive status via SQL",
            action: "directives.cancel_stale",
            checkId: "directives_stale_pending",
          },
        ],
      },
      {
        number: 3,
        title: "Database Connection Pool Exhaustion",
        checkIds: ["db_connections", "idle_transactions"],
        contacts: ["oncall", "dba"],
        steps: [
          { kind: "command", text: "Check active connections" },
          { kind: "action", text: "Kill long-running queries if safe", action: "sessions.terminate_idle", checkId: "idle_transactions" },
          { kind: "manual", text: "Increase pool size temporarily in config" },
          { kind: "manual", text: "Restart affected services" },
        ],
      },
      {
        number: 4,
        title: "Cloudflare Worker Rate Limiting",
        checkIds: ["worker_rate_limit"],
        contacts: ["oncall"],
        steps: [
          { kind: "manual", text: "Check Cloudflare dashboard for rate limit metrics" },
          { kind: "manual", text: "Implement exponential backoff in calling service" },
          { kind: "manual", text: "Scale up Cloudflare plan if consistently hitting limits" },
          { kind: "manual", text: "Consider batching requests" },
        ],
      },
      {
        number: 5,
        title: "MT5 EA Disconnected",
        checkIds: ["ea_heartbeat", "executions_failed"],
        contacts: ["oncall", "broker"],
        steps: [
          { kind: "manual", text: "Check MT5 terminal connectivity" },
          { kind: "manual", text: 'Verify EA is running: Check "Experts" tab in MT5' },
          { kind: "manual", text: "Restart EA: Disable and re-enable in terminal" },
          { kind: "manual", text: "Check broker server status" },
          { kind: "manual", text: "Failover to backup EA instance if configured" },
        ],
      },
    ]);
    expect(rb.scenarios[1]!.rollback).toBe("Mark pending directives as 'cancelled' if unrecoverable");
    expect(rb.scenarios[1]!.rollbackAction).toBe("directives.cancel_stale");
    expect(rb.scenarios[4]!.prevention).toBe("Implement heartbeat mechanism, dual EA setup");
    expect(rb.scenarios[2]!.line).toBe(lineOf(SHIPPED, "### 3. Database Connection Pool Exhaustion"));
  });

  it("fills commands from configuration, never with the database user", () => {
    const config = runbookConfig({ tradingDatabaseUrl: "postgres://u:p@db.internal:6432/trading", tradeDirectorUrl: "https://td.internal/" });
    const [s1, s2, s3] = rb.scenarios.map((s) => renderSteps(s, config));
    expect(s1![0]!.command).toBe("tail -f logs/signal-generator.log");
    expect(s1![1]!.command).toBe('psql -h db.internal -p 6432 -U [user] -d trading -c "SELECT 1"');
    expect(s2![2]!.command).toBe("curl -X POST https://td.internal/admin/reset-circuit");
    expect(s3![0]!.command).toBe('psql -h db.internal -p 6432 -U [user] -d trading -c "SELECT count(*), state FROM pg_stat_activity GROUP BY state;"');
    // Unconfigured: the runbook's placeholders stay.
    expect(renderSteps(rb.scenarios[0]!, {})[1]!.command).toBe('psql -h [host] -U [user] -d distortsignals -c "SELECT 1"');
  });

  it("reads contacts, escalation, monitoring queries, post-incident, Last Updated and Owner", () => {
    expect(rb.title).toBe("DistortSignals Recovery Runbook");
    expect(rb.contacts).toEqual([
      { key: "oncall", role: "On-Call Engineer", value: "[Your contact info]", placeholder: true },
      { key: "dba", role: "Database Admin", value: "[DBA contact]", placeholder: true },
      { key: "broker", role: "Broker Support", value: "[MT5 broker support]", placeholder: true },
    ]);
    expect(rb.escalation).toEqual([
      { level: 1, fromMinutes: 0, toMinutes: 15, text: "Automated recovery, check runbook" },
      { level: 2, fromMinutes: 15, toMinutes: 30, text: "Engage on-call engineer" },
      { level: 3, fromMinutes: 30, toMinutes: null, text: "Halt trading, notify stakeholders" },
    ]);
    expect(rb.monitoringQueries).toHaveLength(1);
    expect(rb.monitoringQueries[0]!.sql).toContain("SELECT * FROM execution_events WHERE status = 'failed'");
    expect(rb.postIncident).toEqual([
      "Write incident report",
      "Update runbook with lessons learned",
      "Add ADR if architectural changes needed",
      "Schedule blameless postmortem",
    ]);
    expect(rb.lastUpdated).toBe("2026-01-03");
    expect(rb.owner).toBe("SRE Team");
    expect(rb.unknownSections).toEqual([]);
  });
});

describe("edited variants", () => {
  it("a new scenario appears with its inferred and annotated bindings", () => {
    const md = edit(
      SHIPPED,
      "## Monitoring Queries",
      [
        "### 6. Market Data Gap",
        "<!-- console: checks=signals_recent contacts=oncall,dba -->",
        "",
        "**Symptoms**: Ticks missing for a symbol",
        "",
        "**Recovery Steps**:",
        "1. Replay ticks: `./replay --since 10m`",
        "2. Reset the breaker that guards replays <!-- console: action=circuit.reset -->",
        "3. Tell the desk",
        "",
        "## Monitoring Queries",
      ].join("\n"),
    );
    const s6 = parse(md).scenarios.at(-1)!;
    expect(shape(s6)).toEqual({
      number: 6,
      title: "Market Data Gap",
      checkIds: ["signals_recent"],
      contacts: ["oncall", "dba"],
      steps: [
        { kind: "command", text: "Replay ticks" },
        { kind: "action", text: "Reset the breaker that guards replays", action: "circuit.reset", checkId: "circuit_breaker" },
        { kind: "manual", text: "Tell the desk" },
      ],
    });
    expect(parse(md).scenarios).toHaveLength(6);
  });

  it("a reordered step keeps its binding at its new place", () => {
    const md = edit(
      SHIPPED,
      "3. Reset circuit breaker: `curl -X POST http://trade-director/admin/reset-circuit`\n4. Manual intervention if needed: Update directive status via SQL",
      "3. Manual intervention if needed: Update directive status via SQL\n4. Reset circuit breaker: `curl -X POST http://trade-director/admin/reset-circuit`",
    );
    const steps = parse(md).scenarios[1]!.steps;
    expect(steps.map((s) => (s.kind === "action" ? s.action : s.kind))).toEqual(["manual", "manual", "directives.cancel_stale", "circuit.reset"]);
    expect(steps[3]!.line).toBe(lineOf(md, "4. Reset circuit breaker"));
  });

  it("an annotation binds any step, and action=none unbinds an inferred one", () => {
    const md = edit(
      edit(SHIPPED, "4. Restart affected services", "4. Restart affected services <!-- console: action=sessions.terminate_idle -->"),
      "3. Reset circuit breaker: `curl -X POST http://trade-director/admin/reset-circuit`",
      "3. Reset circuit breaker: `curl -X POST http://trade-director/admin/reset-circuit` <!-- console: action=none -->",
    );
    const rb = parse(md);
    expect(rb.scenarios[2]!.steps[3]).toMatchObject({ kind: "action", action: "sessions.terminate_idle", checkId: "idle_transactions" });
    expect(rb.scenarios[1]!.steps[2]).toMatchObject({ kind: "command", source: "curl -X POST http://trade-director/admin/reset-circuit" });
  });

  it("a scenario's check annotation replaces the inferred checks", () => {
    const md = edit(
      SHIPPED,
      "### 4. Cloudflare Worker Rate Limiting\n",
      "### 4. Cloudflare Worker Rate Limiting\n\n<!-- console: checks=worker_rate_limit,executions_failed -->\n",
    );
    expect(parse(md).scenarios[3]!.checkIds).toEqual(["worker_rate_limit", "executions_failed"]);
  });

  it("a removed section is simply absent: no monitoring queries; escalation falls back to the policy's defaults", () => {
    const start = SHIPPED.indexOf("## Monitoring Queries");
    const md = SHIPPED.slice(0, start) + SHIPPED.slice(SHIPPED.indexOf("## Post-Incident"));
    const rb = parse(md);
    expect(rb.monitoringQueries).toEqual([]);
    expect(rb.escalation).toEqual([]);
    expect(rb.scenarios).toHaveLength(5);
    expect(policyFrom({}, rb.escalation)).toEqual({ l2Minutes: 15, l3Minutes: 30 });
  });

  it("escalation comes from the file, and the environment overrides it", () => {
    const md = edit(edit(SHIPPED, "**Level 2** (15-30 min)", "**Level 2** (10-20 min)"), "**Level 3** (30+ min)", "**Level 3** (20+ min)");
    const rb = parse(md);
    expect(policyFrom({}, rb.escalation)).toEqual({ l2Minutes: 10, l3Minutes: 20 });
    expect(policyFrom({ ESCALATION_L2_MINUTES: 5 }, rb.escalation)).toEqual({ l2Minutes: 5, l3Minutes: 20 });
  });

  it("contacts the file fills in are read as set", () => {
    const rb = parse(edit(SHIPPED, "**Database Admin**: [DBA contact]", "**Database Admin**: Dana Smith, +44 20 7946 0000"));
    expect(rb.contacts[1]).toEqual({ key: "dba", role: "Database Admin", value: "Dana Smith, +44 20 7946 0000", placeholder: false });
  });

  it("unknown sections and labelled paragraphs are kept, not dropped", () => {
    const md = edit(
      edit(SHIPPED, "## Post-Incident", "## Vendor Quirks\n\nThe broker restarts its gateway at 22:00 UTC.\n\n## Post-Incident"),
      "**Prevention**: Implement health check endpoint, set up monitoring alerts",
      "**Prevention**: Implement health check endpoint, set up monitoring alerts\n\n**Known false alarm**: Sundays, when markets are closed",
    );
    const rb = parse(md);
    expect(rb.unknownSections).toEqual([
      { title: "Vendor Quirks", text: "The broker restarts its gateway at 22:00 UTC.", line: lineOf(md, "## Vendor Quirks") },
    ]);
    expect(rb.scenarios[0]!.extra).toEqual([{ label: "Known false alarm", text: "Sundays, when markets are closed" }]);
  });
});

describe("malformed files name the line and the problem", () => {
  it("a scenario without its recovery steps", () => {
    const md = edit(SHIPPED, "**Recovery Steps**:\n1. Check Cloudflare dashboard", "Recovery:\n1. Check Cloudflare dashboard");
    expect(problems(md)).toEqual([
      { line: lineOf(md, "### 4. Cloudflare"), message: "scenario 4 (Cloudflare Worker Rate Limiting) has no **Recovery Steps** numbered list" },
    ]);
  });

  it("a scenario heading without its number", () => {
    const md = edit(SHIPPED, "### 5. MT5 EA Disconnected", "### MT5 EA Disconnected");
    expect(problems(md)).toEqual([{ line: lineOf(md, "### MT5 EA Disconnected"), message: 'scenario heading "MT5 EA Disconnected" must be "N. Title"' }]);
  });

  it("a duplicate scenario number", () => {
    const md = edit(SHIPPED, "### 5. MT5 EA Disconnected", "### 4. MT5 EA Disconnected");
    expect(problems(md)).toEqual([{ line: lineOf(md, "### 4. MT5 EA"), message: "scenario number 4 is used twice" }]);
  });

  it("an annotation naming an unknown action or check", () => {
    const md = edit(
      edit(SHIPPED, "4. Consider batching requests", "4. Consider batching requests <!-- console: action=trading.unhalt -->"),
      "### 1. Signal Generator Crash\n",
      "### 1. Signal Generator Crash\n<!-- console: checks=signals_recent,no_such_check -->\n",
    );
    const p = problems(md);
    expect(p.map((x) => x.line)).toEqual([lineOf(md, "no_such_check"), lineOf(md, "trading.unhalt")]);
    expect(p[0]!.message).toContain('unknown check id "no_such_check"');
    expect(p[1]!.message).toContain('unknown console action "trading.unhalt"');
  });

  it("an escalation level that does not read as one", () => {
    const md = edit(SHIPPED, "**Level 2** (15-30 min)", "**Level 2** (soon)");
    expect(problems(md)).toEqual([{ line: lineOf(md, "**Level 2** (soon)"), message: expect.stringContaining('escalation level "Level 2 (soon)') }]);
  });

  it("no scenarios section, or no title at all", () => {
    const md = edit(SHIPPED, "## Common Failure Scenarios", "## Failure Scenarios");
    expect(problems(md)).toEqual([{ line: 1, message: 'the runbook has no "## Common Failure Scenarios" section' }]);
    expect(problems("just some text\n")).toEqual([{ line: 1, message: "the runbook has no title (a level-1 heading)" }]);
  });
});

describe("version diffs", () => {
  it("show the lines removed and added between two versions", () => {
    const next = edit(SHIPPED, "**Last Updated**: 2026-01-03", "**Last Updated**: 2026-02-10");
    const hunks = runbookDiff(SHIPPED, next);
    expect(hunks).toHaveLength(1);
    expect(hunks[0]!.lines.filter((l) => l.kind !== "context")).toEqual([
      { kind: "removed", text: "**Last Updated**: 2026-01-03  " },
      { kind: "added", text: "**Last Updated**: 2026-02-10  " },
    ]);
    expect(runbookDiff(SHIPPED, SHIPPED)).toEqual([]);
  });
});
