/**
 * Roles as data: the one permission table. Every server action, route handler and data
 * function asks `can(role, permission)` through lib/recovery/access/authz.ts; nothing else
 * compares role names.
 */
import type { Role } from "../../db/schema/console.ts";

export type { Role };
export { roles } from "../../db/schema/console.ts";

export const permissions = [
  { permission: "health.read", description: "See the live health panels: statuses, values and details", roles: ["oncall", "viewer", "auditor", "admin"] },
  {
    permission: "health.details",
    description: "See, in the health details, other sessions' SQL text, database user names and client addresses",
    roles: ["oncall", "admin"],
  },
  { permission: "status.read", description: "See the stakeholder status page", roles: ["oncall", "viewer", "auditor", "admin"] },
  { permission: "actions.execute", description: "Run guarded recovery actions", roles: ["oncall", "admin"] },
  { permission: "runbook.problems", description: "See why the runbook file did not load (the line and the problem)", roles: ["oncall", "admin"] },
  { permission: "actions.approve", description: "Approve another user's large recovery action", roles: ["oncall", "admin"] },
  { permission: "audit.read", description: "Review the audit trail", roles: ["auditor", "oncall", "admin"] },
  { permission: "audit.export", description: "Export the audit trail", roles: ["auditor", "admin"] },
  { permission: "audit.verify", description: "Verify the audit hash chain", roles: ["auditor", "admin"] },
  { permission: "users.manage", description: "Add users, change roles, disable accounts", roles: ["admin"] },
  { permission: "incidents.read", description: "See incidents, their timelines and reports", roles: ["oncall", "auditor", "admin"] },
  { permission: "automation.pause", description: "Pause and resume an automated recovery policy (audited)", roles: ["oncall", "admin"] },
  {
    permission: "incidents.manage",
    description: "Acknowledge incidents, add notes, assign a commander, tick the post-incident checklist",
    roles: ["oncall", "admin"],
  },
] as const satisfies ReadonlyArray<{ permission: string; description: string; roles: readonly Role[] }>;

export type Permission = (typeof permissions)[number]["permission"];

const table = new Map<string, readonly Role[]>(permissions.map((p) => [p.permission, p.roles]));

export function can(role: Role | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  return table.get(permission)?.includes(role) ?? false;
}

const HOME: Record<Role, string> = {
  // Stakeholders: the plain-language status page.
  viewer: "/status",
  // Auditors: the audit trail.
  auditor: "/audit",
  // On-call and admins: the dashboard, where the actions are.
  oncall: "/",
  admin: "/",
};

/** Where a role lands after signing in (when no other page was asked for). */
export function homeFor(role: Role): string {
  return HOME[role] ?? "/status";
}

/** The permission table as Markdown (docs/security.md's "Roles and permissions" section is this, checked by a test). */
export function permissionTableMarkdown(): string {
  const order: Role[] = ["viewer", "auditor", "oncall", "admin"];
  const lines = [
    `| permission | what it allows | ${order.join(" | ")} |`,
    `| --- | --- | ${order.map(() => ":-:").join(" | ")} |`,
    ...permissions.map(
      (p) => `| \`${p.permission}\` | ${p.description} | ${order.map((r) => ((p.roles as readonly Role[]).includes(r) ? "✓" : "")).join(" | ")} |`,
    ),
  ];
  return lines.join("\n");
}
