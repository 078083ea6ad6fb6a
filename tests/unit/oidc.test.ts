import { describe, expect, it } from "vitest";
import { claimValues, mapRole, oidcConfigFromEnv, parseRoleMap, RoleMapError, SSO_ROLES, ssoSubject } from "@/lib/auth/oidc";
import { roles } from "@/lib/recovery/permissions";
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

  it("reads array, space- or comma-separated and nested claims", () => {
    expect(claimValues({ groups: ["a", "b", 3] }, "groups")).toEqual(["a", "b"]);
    expect(claimValues({ roles: "a b,c" }, "roles")).toEqual(["a", "b", "c"]);
    expect(claimValues({ realm_access: { roles: ["ops-oncall"] } }, "realm_access.roles")).toEqual(["ops-oncall"]);
    expect(claimValues({ groups: { nested: true } }, "groups")).toEqual([]);
    expect(claimValues(undefined, "groups")).toEqual([]);
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
