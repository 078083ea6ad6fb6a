import { describe, expect, it } from "vitest";
import { can, permissions, roles } from "@/lib/recovery/permissions";

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

  it("denies everything to a missing role", () => {
    for (const p of permissions) expect(can(null, p.permission)).toBe(false);
  });

  it("reserves user management for admins", () => {
    expect(roles.filter((r) => can(r, "users.manage"))).toEqual(["admin"]);
  });
});
