/** Refusing to start in production with demo credentials (lib/auth/demo-guard.ts). */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { closeStores } from "@/lib/db/client";
import { findDemoCredentials } from "@/lib/auth/demo-guard";
import { startServer } from "@/lib/server-start";
import { addUser, setDisabled } from "@/lib/recovery/access/users";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const ctx = { actor: { id: "cli:test" } };
const url = () => inject("consoleUrl");

beforeAll(() => {
  sql = connect("console");
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("demo credentials at start-up", () => {
  it("reports an enabled demo account and a password equal to DEMO_PASSWORD", async () => {
    await addUser({ email: "oncall@demo.local", role: "oncall", password: "demo-password-123" }, ctx);
    await addUser({ email: "real.person@example.com", role: "admin", password: "demo-password-123" }, ctx);
    await addUser({ email: "careful@example.com", role: "admin", password: "a different passphrase" }, ctx);
    const problems = await findDemoCredentials({ url: url(), demoPassword: "demo-password-123" });
    expect(problems).toContainEqual(expect.stringMatching(/^the demo account oncall@demo\.local is enabled/));
    expect(problems).toContainEqual(expect.stringMatching(/^real\.person@example\.com signs in with DEMO_PASSWORD/));
    expect(problems.join("\n")).not.toContain("careful@example.com");
    // The password itself is never part of the message.
    expect(problems.join("\n")).not.toContain("demo-password-123");
  });

  it("stops a production server, unless it is the demo (DEMO_MODE=1)", async () => {
    const saved = { ...process.env };
    const exit = vi.spyOn(process, "exit").mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      Object.assign(process.env, { NODE_ENV: "production", AUTH_SECRET: "s".repeat(40), DEMO_MODE: "" });
      await expect(startServer()).rejects.toThrow("exit 1");
      expect(error.mock.calls.flat().join(" ")).toMatch(/Refusing to start in production with demo credentials/);
      process.env.DEMO_MODE = "1";
      await expect(startServer()).resolves.toBeUndefined();
    } finally {
      process.env = saved;
      exit.mockRestore();
      error.mockRestore();
    }
  });

  it("is satisfied once the demo account is disabled and the password changed", async () => {
    await setDisabled("oncall@demo.local", true, ctx);
    await setDisabled("real.person@example.com", true, ctx);
    const problems = await findDemoCredentials({ url: url(), demoPassword: "demo-password-123" });
    expect(problems.filter((p) => p.includes("oncall@demo.local") || p.includes("real.person"))).toEqual([]);
  });
});
