import { describe, expect, it } from "vitest";
import { auditQuery, DEFAULT_PAGE_SIZE, hasFilters, likePattern, MAX_PAGE_SIZE, parseAuditFilters, parseAuditPage } from "@/lib/recovery/audit/filters";

describe("audit filters in the URL", () => {
  it("round-trips through the query string, in a stable order, so a link reproduces the view", () => {
    const filters = { q: "stuck", actor: "oncall@demo.local", from: "2026-01-03T10:00:00.000Z", outcome: "failed" as const };
    const query = auditQuery(filters, { before: 120 });
    expect(query).toBe("?from=2026-01-03T10%3A00%3A00.000Z&actor=oncall%40demo.local&outcome=failed&q=stuck&before=120");
    const params = new URLSearchParams(query.slice(1));
    expect(parseAuditFilters(params)).toEqual({ filters, errors: [] });
    expect(parseAuditPage(params)).toEqual({ before: 120, limit: DEFAULT_PAGE_SIZE });
  });

  it("reads a time without a zone as UTC and keeps one with a zone as that instant", () => {
    expect(parseAuditFilters({ from: "2026-01-03T10:00" }).filters.from).toBe("2026-01-03T10:00:00.000Z");
    expect(parseAuditFilters({ to: "2026-01-03T10:00:00+02:00" }).filters.to).toBe("2026-01-03T08:00:00.000Z");
  });

  it("reports bad values by name and leaves them out", () => {
    const { filters, errors } = parseAuditFilters({ from: "yesterday", outcome: "exploded", action: "drop table;", actor: "ok@example.com" });
    expect(filters).toEqual({ actor: "ok@example.com" });
    expect(errors).toEqual([expect.stringMatching(/^from:/), expect.stringMatching(/^action:/), expect.stringMatching(/^outcome:/)]);
    expect(parseAuditFilters({ from: "2026-01-03T10:00:00Z", to: "2026-01-03T09:00:00Z" }).errors).toEqual(["to: must be after from"]);
  });

  it("normalizes the actor, accepts an action prefix and the outcome-unknown filter, and ignores blanks", () => {
    expect(parseAuditFilters({ actor: "  OnCall@Demo.Local ", action: "users.*", outcome: "unknown", q: "   " })).toEqual({
      filters: { actor: "oncall@demo.local", action: "users.*", outcome: "unknown" },
      errors: [],
    });
    expect(hasFilters({})).toBe(false);
    expect(hasFilters({ incident: "INC-1" })).toBe(true);
  });

  it("clamps the page size and prefers before over after", () => {
    expect(parseAuditPage({ limit: "100000" })).toEqual({ limit: DEFAULT_PAGE_SIZE });
    expect(parseAuditPage({ limit: String(MAX_PAGE_SIZE) })).toEqual({ limit: MAX_PAGE_SIZE });
    expect(parseAuditPage({ before: "10", after: "5" })).toEqual({ before: 10, limit: DEFAULT_PAGE_SIZE });
    expect(parseAuditPage({ after: "5" })).toEqual({ after: 5, limit: DEFAULT_PAGE_SIZE });
    expect(parseAuditPage({ before: "-1" })).toEqual({ limit: DEFAULT_PAGE_SIZE });
  });

  it("matches text in the reason literally", () => {
    expect(likePattern("100%_done\\")).toBe("%100\\%\\_done\\\\%");
  });
});
