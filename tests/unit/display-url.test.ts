import { describe, expect, it } from "vitest";
import { displayUrl } from "@/lib/display-url";
import fs from "node:fs";
import { renderSteps, runbookConfig } from "@/lib/recovery/runbook/model";
import { parseRunbook } from "@/lib/recovery/runbook/parse";

const parsed = parseRunbook(fs.readFileSync("runbook/recovery-runbook.md", "utf8"));
if (!parsed.ok) throw new Error(parsed.problems[0]?.message);
const scenarios = parsed.runbook.scenarios;

describe("displayUrl", () => {
  it.each([
    ["https://td.internal:8443/api?token=s3cret#frag", "https://td.internal:8443/api"],
    ["https://admin:hunter2@td.internal/", "https://td.internal/"],
    ["https://only-user@td.internal", "https://td.internal/"],
    ["postgres://console:pw@db.internal:5432/distortsignals?sslmode=require&password=x", "postgres://db.internal:5432/distortsignals"],
    ["http://[::1]:3000/health", "http://[::1]:3000/health"],
  ])("prints %s as %s: no userinfo, query string or fragment", (input, shown) => {
    expect(displayUrl(input)).toBe(shown);
  });

  it("returns null for what is not a URL", () => {
    expect(displayUrl("not a url")).toBeNull();
    expect(displayUrl("")).toBeNull();
  });
});

describe("the runbook's commands", () => {
  it("never carry credentials, userinfo, query strings or fragments of the configured URLs", () => {
    const config = runbookConfig({
      tradingDatabaseUrl: "postgres://trading_admin:db-pass@db.internal:6432/distortsignals?sslmode=require&options=-csearch_path%3Dx",
      tradeDirectorUrl: "https://opsuser:td-pass@td.internal/base?key=td-key#frag",
    });
    const commands = scenarios.flatMap((s) => renderSteps(s, config)).flatMap((step) => (step.command ? [step.command] : []));
    expect(commands.length).toBeGreaterThan(0);
    const text = commands.join("\n");
    for (const secret of ["trading_admin", "db-pass", "sslmode", "search_path", "opsuser", "td-pass", "td-key", "frag", "@"])
      expect(text).not.toContain(secret);
    // Still filled in with what is safe to show.
    expect(text).toContain("psql -h db.internal -p 6432 -U [user] -d distortsignals");
    expect(text).toContain("curl -X POST https://td.internal/base/admin/reset-circuit");
  });
});
