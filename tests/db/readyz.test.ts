/**
 * /readyz (app/readyz/route.ts): ready only when the console store answers and every migration in
 * drizzle/console is applied; 503 with the reason otherwise (a new store, a store that is down).
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { GET } from "@/app/readyz/route";
import { migrateConsoleStore } from "@/lib/db/migrate";
import { connect, withEnv } from "../support/db";

const name = `rc_test_readyz_${process.pid}_${Date.now().toString(36)}`;
const fresh = (() => {
  const u = new URL(inject("adminUrl"));
  u.pathname = `/${name}`;
  return u.toString();
})();

async function ready(): Promise<[number, string]> {
  const res = await GET();
  return [res.status, await res.text()];
}

afterAll(async () => {
  await withEnv({ CONSOLE_DATABASE_URL: inject("consoleUrl") });
  const admin = connect("admin", { max: 1 });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end({ timeout: 5 });
});

describe("/readyz", () => {
  it("is ready on the migrated test store", async () => {
    expect(await ready()).toEqual([200, "ready\n"]);
  });

  it("is not ready while migrations are pending, and is once they are applied", async () => {
    const admin = connect("admin", { max: 1 });
    await admin.unsafe(`create database ${name}`);
    await admin.end({ timeout: 5 });
    await withEnv({ CONSOLE_DATABASE_URL: fresh });
    expect(await ready()).toEqual([503, "migrations pending\n"]);
    await migrateConsoleStore(fresh);
    expect(await ready()).toEqual([200, "ready\n"]);
  });

  it("is not ready when the store cannot be reached", async () => {
    await withEnv({ CONSOLE_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(await ready()).toEqual([503, "console store unreachable\n"]);
  });
});
