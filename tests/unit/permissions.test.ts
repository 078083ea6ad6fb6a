import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { can, homeFor, permissionTableMarkdown, permissions, roles } from "@/lib/recovery/access/permissions";

describe("permission table", () => {
  it("lets only on-call and admin act", () => {
    expect(roles.filter((r) => can(r, "actions.execute"))).toEqual(["oncall", "admin"]);
    expect(roles.filter((r) => can(r, "actions.approve"))).toEqual(["oncall", "admin"]);
  });

  it("gives stakeholders (viewer) read-only status and health, nothing else", () => {
    const granted = permissions.filter((p) => can("viewer", p.permission)).map((p) => p.permission);
    expect(granted).toEqual(["health.read", "status.read"]);
  });

  it("lets auditors read, export and verify the audit trail but not act", () => {
    expect(can("auditor", "audit.read")).toBe(true);
    expect(can("auditor", "audit.export")).toBe(true);
    expect(can("auditor", "actions.execute")).toBe(false);
    expect(can("auditor", "users.manage")).toBe(false);
  });

  it("shows other sessions' SQL, database users and client addresses only to on-call and admin, who act on them", () => {
    expect(roles.filter((r) => can(r, "health.details"))).toEqual(["oncall", "admin"]);
    // Whoever may act or approve sees the preview's rows (SQL text, users): they must hold health.details.
    for (const r of roles) if (can(r, "actions.execute") || can(r, "actions.approve")) expect(can(r, "health.details"), r).toBe(true);
  });

  it("denies everything to a missing role", () => {
    for (const p of permissions) expect(can(null, p.permission)).toBe(false);
  });

  it("reserves user management for admins", () => {
    expect(roles.filter((r) => can(r, "users.manage"))).toEqual(["admin"]);
  });

  it("lands each role on its home: viewers on status, auditors on the audit view, on-call and admins on the dashboard", () => {
    expect(homeFor("viewer")).toBe("/status");
    expect(homeFor("auditor")).toBe("/audit");
    expect(homeFor("oncall")).toBe("/");
    expect(homeFor("admin")).toBe("/");
  });

  it("is documented in docs/security.md exactly as in the code", () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/security.md"), "utf8");
    const block = readme.match(/<!-- permissions:start -->\n([\s\S]*?)\n<!-- permissions:end -->/)?.[1];
    expect(block, "docs/security.md is out of date: run `node --import tsx scripts/permissions-table.ts --write`").toBe(permissionTableMarkdown());
  });
});
