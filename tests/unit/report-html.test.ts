/** The printable report (issue 18, point 10): rendered HTML, labels said once, the operator's reason shown. */
import { describe, expect, it } from "vitest";
import type { IncidentRow } from "@/lib/db/queries/incidents";
import { draftReport } from "@/lib/recovery/incidents/report";
import { reportHtml } from "@/lib/recovery/incidents/report-html";

const incident: IncidentRow = {
  id: 7,
  ref: "INC-7",
  scenario: 2,
  title: "Trade director stuck",
  status: "resolved",
  startedAt: "2026-01-03T14:00:00.000Z",
  detectedAt: "2026-01-03T14:00:05.000Z",
  level: 3,
  maxLevel: 3,
  checkIds: ["circuit_breaker"],
  okStreak: 0,
  acknowledgedAt: "2026-01-03T14:02:00.000Z",
  acknowledgedBy: "oncall@example.com",
  commander: null,
  resolvedAt: "2026-01-03T14:40:00.000Z",
  checklist: { report: true },
};

const md = draftReport({
  incident,
  events: [{ id: 1, incidentId: 7, at: "2026-01-03T14:31:00.000Z", kind: "level", actor: null, public: false, data: { from: 2, to: 3 } } as never],
  actions: [
    {
      seq: 12,
      at: "2026-01-03T14:10:00.000Z",
      action: "circuit.reset",
      phase: "outcome",
      outcome: "succeeded",
      actor: "oncall@example.com",
      reason: "circuit open since 14:00, per runbook 2",
      message: "Circuit reset: open → closed.",
    },
  ],
  deliveries: [],
  now: Date.parse("2026-01-03T15:00:00.000Z"),
});

describe("the incident report", () => {
  it("names each level once", () => {
    expect(md).not.toMatch(/L\d: L\d:/);
    expect(md).not.toMatch(/\(L\d: /);
    expect(md).toContain("- L3: halt trading and notify stakeholders");
    expect(md).toContain("Escalated to level 3: halt trading and notify stakeholders");
  });

  it("shows the operator's reason beside the result in the actions table", () => {
    expect(md).toContain("| circuit.reset | succeeded | oncall@example.com | Circuit reset: open → closed. | circuit open since 14:00, per runbook 2 |");
  });

  it("renders as HTML: headings, lists, tables with the reason, the checklist as marks", () => {
    const html = reportHtml(md);
    expect(html).toContain("<h1>Incident report: INC-7, Trade director stuck</h1>");
    expect(html).toContain("<h2>Actions taken</h2>");
    expect(html).toMatch(/<th>reason<\/th>/);
    expect(html).toContain("<td>circuit open since 14:00, per runbook 2</td>");
    expect(html).toContain('<span role="img" aria-label="done">☑</span>');
    expect(html).not.toContain("<input");
    expect(html).not.toContain("| --- |");
  });

  it("drops raw HTML from the incident's text", () => {
    const html = reportHtml("# x\n\nA note <script>alert(1)</script> and <img src=x onerror=alert(1)>\n\n| a |\n| - |\n| <b>bold</b> |\n");
    expect(html).not.toMatch(/<script|<img|<b>/);
  });
});

describe("the report's times", () => {
  it("are <time> elements with the instant and the exact UTC, for the page to show as every page does", () => {
    const html = reportHtml("Started 2026-01-03 14:02:05 UTC, resolved 2026-01-03 14:40:00 UTC.");
    expect(html).toContain('<time datetime="2026-01-03T14:02:05.000Z" title="2026-01-03 14:02:05.000 UTC">2026-01-03 14:02:05 UTC</time>');
    expect(html.match(/<time /g)).toHaveLength(2);
  });
});
