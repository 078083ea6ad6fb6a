import { describe, expect, it } from "vitest";
import { claimValues, issuerProblem, mapRole, oidcConfigFromEnv, parseRoleMap, RoleMapError, SSO_ROLES, ssoSubject } from "@/lib/auth/oidc";
import { roles } from "@/lib/recovery/access/permissions";
import { ConfigError, parseEnv } from "@/lib/env";

const map = parseRoleMap("ops-oncall=oncall, execs=viewer,audit=auditor,console-admins=admin");

describe("OIDC role mapping", () => {
  it("knows exactly the console's roles", () => {
    expect([...SSO_ROLES].sort()).toEqual([...roles].sort());
  });

  it("maps a group to its role", () => {
    expect(mapRole(["execs"], map)).toBe("viewer");
    expect(mapRole(["ops-oncall"], map)).toBe("oncall");
    expect(mapRole(["audit"], map)).toBe("auditor");
  });

  it("gives no role (no access) when no group is mapped", () => {
    expect(mapRole([], map)).toBeNull();
    expect(mapRole(["engineering", "everyone"], map)).toBeNull();
    // Case matters: group names are identifiers.
    expect(mapRole(["EXECS"], map)).toBeNull();
  });

  it("gives the most privileged role of several mapped groups", () => {
    expect(mapRole(["execs", "ops-oncall"], map)).toBe("oncall");
    expect(mapRole(["audit", "execs"], map)).toBe("auditor");
    expect(mapRole(["execs", "console-admins", "audit"], map)).toBe("admin");
  });

  it("reads array, single-string and nested claims", () => {
    expect(claimValues({ groups: ["a", "b", 3] }, "groups")).toEqual(["a", "b"]);
    expect(claimValues({ roles: "a b,c" }, "roles")).toEqual(["a b,c"]);
    expect(claimValues({ roles: "" }, "roles")).toEqual([]);
    expect(claimValues({ realm_access: { roles: ["ops-oncall"] } }, "realm_access.roles")).toEqual(["ops-oncall"]);
    expect(claimValues({ groups: { nested: true } }, "groups")).toEqual([]);
    expect(claimValues(undefined, "groups")).toEqual([]);
  });

  it('matches a string role claim exactly: "Domain admins" is not `admins`', () => {
    const admins = parseRoleMap("admins=admin,ops=oncall");
    expect(mapRole(claimValues({ groups: "Domain admins" }, "groups"), admins)).toBeNull();
    expect(mapRole(claimValues({ groups: "ops,admins" }, "groups"), admins)).toBeNull();
    expect(mapRole(claimValues({ groups: "admins" }, "groups"), admins)).toBe("admin");
    expect(mapRole(claimValues({ groups: ["Domain admins", "ops"] }, "groups"), admins)).toBe("oncall");
  });

  it("refuses a plain-http issuer except on loopback", () => {
    expect(issuerProblem("https://idp.example.com/realms/ops")).toBeNull();
    for (const ok of ["http://localhost:3190", "http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9000", "http://idp.localhost"])
      expect(issuerProblem(ok), ok).toBeNull();
    for (const bad of ["http://idp.example.com", "http://10.0.0.5", "http://localhost.example.com", "http://128.0.0.1", "http://[::2]"])
      expect(issuerProblem(bad), bad).toMatch(/must be https/);
    const full = { OIDC_CLIENT_ID: "rc", OIDC_CLIENT_SECRET: "s", OIDC_ROLE_MAP: "execs=viewer" };
    expect(oidcConfigFromEnv({ ...full, OIDC_ISSUER: "http://idp.example.com" })).toBeNull();
    expect(oidcConfigFromEnv({ ...full, OIDC_ISSUER: "http://localhost:3190" })?.issuer).toBe("http://localhost:3190");
    expect(() => parseEnv({ ...full, OIDC_ISSUER: "http://idp.example.com" })).toThrow(/OIDC_ISSUER: must be https/);
    expect(() => parseEnv({ ...full, OIDC_ISSUER: "http://127.0.0.1:3190" })).not.toThrow();
  });

  it("rejects a malformed OIDC_ROLE_MAP, naming the entry", () => {
    expect(() => parseRoleMap("execs=viewr")).toThrow(RoleMapError);
    expect(() => parseRoleMap("execs=viewr")).toThrow(/"execs=viewr": role must be one of/);
    expect(() => parseRoleMap("execs")).toThrow(/must be group=role/);
    expect(() => parseRoleMap("a=viewer,a=admin")).toThrow(/mapped twice/);
    expect(() => parseRoleMap(" , ")).toThrow(/maps no group/);
  });

  it("is configured only when issuer, client and role map are all set", () => {
    const full = { OIDC_ISSUER: "https://idp.example.com/", OIDC_CLIENT_ID: "rc", OIDC_CLIENT_SECRET: "s", OIDC_ROLE_MAP: "execs=viewer" };
    expect(oidcConfigFromEnv({})).toBeNull();
    expect(oidcConfigFromEnv({ ...full, OIDC_CLIENT_SECRET: undefined })).toBeNull();
    expect(oidcConfigFromEnv(full)).toMatchObject({ issuer: "https://idp.example.com", clientId: "rc", roleClaim: "groups" });
    expect(oidcConfigFromEnv({ ...full, OIDC_ROLE_CLAIM: "roles" })?.roleClaim).toBe("roles");
  });

  it("identifies an SSO user by issuer and subject together", () => {
    expect(ssoSubject("https://idp.example.com/", "abc")).toBe("https://idp.example.com#abc");
  });

  it("stops start-up naming the OIDC variable that is missing or wrong", () => {
    const problems = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
    };
    expect(problems({ OIDC_ISSUER: "https://idp.example.com" })).toEqual([
      expect.stringMatching(/^OIDC_CLIENT_ID: is required/),
      expect.stringMatching(/^OIDC_CLIENT_SECRET: is required/),
      expect.stringMatching(/^OIDC_ROLE_MAP: is required/),
    ]);
    expect(problems({ OIDC_ISSUER: "https://idp.example.com", OIDC_CLIENT_ID: "a", OIDC_CLIENT_SECRET: "b", OIDC_ROLE_MAP: "execs=boss" })).toEqual([
      expect.stringMatching(/^OIDC_ROLE_MAP: "execs=boss": role must be one of/),
    ]);
    expect(problems({ OIDC_ISSUER: "idp.example.com" })[0]).toMatch(/^OIDC_ISSUER: must be an http\(s\) URL/);
  });
});
