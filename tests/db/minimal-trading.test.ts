import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { signalsRecent } from "@/lib/recovery/checks/signals-recent";
import { withEnv } from "../support/db";

// A trading DB holding only the runbook's columns (no symbol, updated_at, payload, ...).
const name = `rc_test_minimal_${process.pid}`;
let admin: postgres.Sql;
let minimal: postgres.Sql;
let url: string;

beforeAll(async () => {
  admin = postgres(inject("adminUrl"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create database ${name}`);
  const u = new URL(inject("adminUrl"));
  u.pathname = `/${name}`;
  url = u.toString();
  minimal = postgres(url, { max: 1, onnotice: () => {} });
  await minimal`create table signal_outbox (id bigint primary key, created_at timestamptz not null)`;
  await minimal`create table trade_directives (id bigint primary key, status text not null, created_at timestamptz not null)`;
  await minimal`create table execution_events (id bigint primary key, status text not null, created_at timestamptz not null)`;
  await closeStores();
  await withEnv({ TRADING_DATABASE_URL: url, SIGNAL_SILENCE_SECONDS: "300" });
});

afterAll(async () => {
  await closeStores();
  await minimal.end();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
  await withEnv({ TRADING_DATABASE_URL: inject("tradingUrl") });
});

describe("a trading DB with only the minimal columns", () => {
  it("shows the signals panel correctly", async () => {
    await minimal`insert into signal_outbox values (1, now() - interval '1 minute'), (2, now() - interval '20 minutes')`;
    const reading = await signalsRecent.run(new AbortController().signal);
    expect(reading).toMatchObject({ status: "ok", value: 1 });
  });
});
