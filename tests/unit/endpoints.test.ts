import path from "node:path";
import { describe, expect, it } from "vitest";
import { endpoints } from "@/lib/recovery/access/endpoints";
import { permissions } from "@/lib/recovery/access/permissions";
import { discoverEndpoints, HTTP_METHODS } from "../support/endpoint-discovery";

const root = path.resolve(import.meta.dirname, "../..");
const { found, inline } = discoverEndpoints(root);

describe("endpoint registry (lib/recovery/access/endpoints.ts)", () => {
  it("finds the endpoints in the source (the scanner works)", () => {
    expect(found).toContainEqual({ kind: "route", file: "app/api/auth/[...nextauth]/route.ts", method: "GET" });
    expect(found).toContainEqual({ kind: "route", file: "app/api/auth/[...nextauth]/route.ts", method: "POST" });
    expect(found).toContainEqual({ kind: "route", file: "app/healthz/route.ts", method: "GET" });
    expect(found).toContainEqual({ kind: "action", file: "app/login/actions.ts", exportName: "loginAction" });
  });

  it("has an entry for every route handler method and every server action in app/", () => {
    const missing = found
      .filter((f) =>
        f.kind === "route"
          ? !endpoints.some((e) => e.kind === "route" && e.file === f.file && e.method === f.method)
          : !endpoints.some((e) => e.kind === "action" && e.file === f.file && e.exportName === f.exportName),
      )
      .map((f) => (f.kind === "route" ? `${f.method} in ${f.file}` : `${f.exportName} in ${f.file}`));
    expect(missing, "add these to lib/recovery/access/endpoints.ts with their permission and a safe example request").toEqual([]);
  });

  it("has no entry for an endpoint that no longer exists", () => {
    const stale = endpoints
      .filter((e) =>
        e.kind === "route"
          ? !found.some((f) => f.kind === "route" && f.file === e.file && f.method === e.method)
          : !found.some((f) => f.kind === "action" && f.file === e.file && f.exportName === e.exportName),
      )
      .map((e) => e.id);
    expect(stale).toEqual([]);
  });

  it("has no inline server actions, which the registry could not name", () => {
    expect(inline, 'move inline "use server" functions into an actions file').toEqual([]);
  });

  it("names only real permissions, unique ids and valid methods", () => {
    const names = new Set<string>(permissions.map((p) => p.permission));
    for (const e of endpoints) {
      if (e.access.kind === "permission") expect(names.has(e.access.permission), e.id).toBe(true);
      if (e.kind === "route") expect(HTTP_METHODS).toContain(e.method);
    }
    expect(new Set(endpoints.map((e) => e.id)).size).toBe(endpoints.length);
  });

  it("says why an endpoint is open to anyone or any session", () => {
    for (const e of endpoints) if (e.access.kind !== "permission") expect(e.access.why.length, e.id).toBeGreaterThan(5);
  });
});
