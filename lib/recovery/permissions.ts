/**
 * Roles as data: the one permission table. Every server action, route handler and data
 * function asks `can(role, permission)` through lib/recovery/authz.ts; nothing else
 * compares role names.
 */
import type { Role } from "../db/schema/console.ts";

export type { Role };
export { roles } from "../db/schema/console.ts";

export const permissions = [
  { permission: "health.read", description: "See the live health panels and their details", roles: ["oncall", "viewer", "auditor", "admin"] },
  { permission: "status.read", description: "See the stakeholder status page", roles: ["oncall", "viewer", "auditor", "admin"] },
  { permission: "actions.execute", description: "Run guarded recovery actions", roles: ["oncall", "admin"] },
  { permission: "actions.approve", description: "Approve another user's large recovery action", roles: ["oncall", "admin"] },
  { permission: "audit.read", description: "Review the audit trail", roles: ["auditor", "oncall", "admin"] },
  { permission: "audit.export", description: "Export the audit trail", roles: ["auditor", "admin"] },
  { permission: "audit.verify", description: "Verify the audit hash chain", roles: ["auditor", "admin"] },
  { permission: "users.manage", description: "Add users, change roles, disable accounts", roles: ["admin"] },
] as const satisfies ReadonlyArray<{ permission: string; description: string; roles: readonly Role[] }>;

export type Permission = (typeof permissions)[number]["permission"];

const table = new Map<string, readonly Role[]>(permissions.map((p) => [p.permission, p.roles]));

export function can(role: Role | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  return table.get(permission)?.includes(role) ?? false;
}

/** Where a role lands after signing in. */
export function homeFor(_role: Role): string {
  return "/";
}
