/**
 * OIDC single sign-on, configured by env, and the mapping from the identity provider's groups
 * or roles claim to console roles. Pure functions, no database: the sign-in itself (upsert into
 * console.users, audit) lives in lib/auth/sso.ts.
 *
 *   OIDC_ISSUER=https://idp.example.com/realms/ops     (discovery: {issuer}/.well-known/openid-configuration)
 *   OIDC_CLIENT_ID=recovery-console
 *   OIDC_CLIENT_SECRET=...
 *   OIDC_ROLE_CLAIM=groups                             (a dotted path also works: realm_access.roles)
 *   OIDC_ROLE_MAP="ops-oncall=oncall,execs=viewer,audit=auditor,console-admins=admin"
 *
 * A user whose claim maps to no console role gets no access. A user in several mapped groups
 * gets the most privileged of their roles (admin > oncall > auditor > viewer).
 */

/** The console's roles (kept equal to lib/db/schema/console.ts `roles` by a unit test). */
export const SSO_ROLES = ["oncall", "viewer", "auditor", "admin"] as const;
export type SsoRole = (typeof SSO_ROLES)[number];

/** Most privileged first. */
const PRIVILEGE: readonly SsoRole[] = ["admin", "oncall", "auditor", "viewer"];

export type OidcConfig = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  roleClaim: string;
  roleMap: ReadonlyMap<string, SsoRole>;
  /** Shown on the sign-in button. */
  displayName: string;
};

export class RoleMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RoleMapError";
  }
}

/** Parse OIDC_ROLE_MAP ("group=role,group=role"); throws RoleMapError naming the bad entry. */
export function parseRoleMap(raw: string): Map<string, SsoRole> {
  const map = new Map<string, SsoRole>();
  for (const part of raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf("=");
    const group = eq > 0 ? part.slice(0, eq).trim() : "";
    const role = eq > 0 ? part.slice(eq + 1).trim() : "";
    if (!group || !role) throw new RoleMapError(`"${part}" must be group=role`);
    if (!(SSO_ROLES as readonly string[]).includes(role)) throw new RoleMapError(`"${part}": role must be one of ${SSO_ROLES.join(", ")}`);
    if (map.has(group)) throw new RoleMapError(`group "${group}" is mapped twice`);
    map.set(group, role as SsoRole);
  }
  if (map.size === 0) throw new RoleMapError("maps no group to a role");
  return map;
}

/**
 * The values of the role claim: an array of strings, or one string taken whole. A string is
 * never split: a group named "Domain admins" must not grant what is mapped for `admins` (a
 * provider that sends several groups sends an array). `path` may be dotted for nested claims
 * (realm_access.roles).
 */
export function claimValues(claims: Record<string, unknown> | null | undefined, path: string): string[] {
  let v: unknown = claims;
  for (const key of path.split(".")) {
    if (!v || typeof v !== "object" || Array.isArray(v)) return [];
    v = (v as Record<string, unknown>)[key];
  }
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  if (typeof v === "string") return v === "" ? [] : [v];
  return [];
}

/** The console role for these claim values, or null (no access). */
export function mapRole(values: readonly string[], roleMap: ReadonlyMap<string, SsoRole>): SsoRole | null {
  const granted = new Set(values.map((g) => roleMap.get(g)).filter((r): r is SsoRole => r !== undefined));
  return PRIVILEGE.find((r) => granted.has(r)) ?? null;
}

/**
 * Why an issuer URL is refused, or null when it is fine: https, or plain http only on a loopback
 * host (a provider on the same machine, as in the tests). Over plain http elsewhere, discovery,
 * the keys and the token exchange could be read or changed on the way.
 */
export function issuerProblem(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return "must be an http(s) URL";
  }
  if (url.protocol === "https:") return null;
  if (url.protocol !== "http:") return "must be an http(s) URL";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const loopback = host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? null : "must be https (plain http is allowed only on a loopback address: localhost, 127.0.0.0/8, ::1)";
}

/**
 * SSO settings from the environment, or null when SSO is off (OIDC_ISSUER unset).
 * lib/env.ts validates the same variables at start-up and names any that is missing or wrong.
 */
export function oidcConfigFromEnv(source: Record<string, string | undefined> = process.env): OidcConfig | null {
  const issuer = source.OIDC_ISSUER;
  if (!issuer || issuerProblem(issuer)) return null;
  const clientId = source.OIDC_CLIENT_ID;
  const clientSecret = source.OIDC_CLIENT_SECRET;
  const rawMap = source.OIDC_ROLE_MAP;
  if (!clientId || !clientSecret || !rawMap) return null;
  let roleMap: Map<string, SsoRole>;
  try {
    roleMap = parseRoleMap(rawMap);
  } catch {
    return null;
  }
  return {
    issuer: issuer.replace(/\/+$/, ""),
    clientId,
    clientSecret,
    roleClaim: source.OIDC_ROLE_CLAIM || "groups",
    roleMap,
    displayName: source.OIDC_DISPLAY_NAME || "single sign-on",
  };
}

/** The stable identity of an SSO user: issuer and subject together (a subject is unique per issuer). */
export function ssoSubject(issuer: string, sub: string): string {
  return `${issuer.replace(/\/+$/, "")}#${sub}`;
}
