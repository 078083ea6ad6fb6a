import { describe, expect, it } from "vitest";
import { DbError, isStaleConnectionError, toDbError } from "@/lib/db/errors";

describe("isStaleConnectionError", () => {
  it("recognises a connection the server ended or that broke, also wrapped in a DbError", () => {
    const adminShutdown = Object.assign(new Error("terminating connection due to administrator command"), { name: "PostgresError", code: "57P01" });
    expect(isStaleConnectionError(adminShutdown)).toBe(true);
    expect(isStaleConnectionError(toDbError(adminShutdown, "console"))).toBe(true);
    expect(isStaleConnectionError(Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }))).toBe(true);
  });

  it("does not retry a refused connection, a timeout or a server-side error", () => {
    expect(isStaleConnectionError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isStaleConnectionError(new DbError("db.timeout", "console", "no answer within 100 ms"))).toBe(false);
    expect(isStaleConnectionError(Object.assign(new Error("duplicate key"), { name: "PostgresError", code: "23505" }))).toBe(false);
  });
});
