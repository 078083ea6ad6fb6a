import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { signalsRecent } from "@/lib/recovery/health/checks/signals-recent";
import { directivesStalePending } from "@/lib/recovery/health/checks/directives-stale-pending";
import { executionsFailed } from "@/lib/recovery/health/checks/executions-failed";
import { dbConnections } from "@/lib/recovery/health/checks/db-connections";
import { idleTransactions } from "@/lib/recovery/health/checks/idle-transactions";
import { cancelStaleDirectives } from "@/lib/recovery/actions/cancel-stale-directives";
import { getStalePendingDirectives } from "@/lib/db/queries/trading";
import { runCheck } from "@/lib/recovery/health/snapshot";
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

  it("evaluates every DB check without an error (optional columns such as symbol, error, directive_id absent)", async () => {
    await minimal`insert into trade_directives values (1, 'pending', now() - interval '20 minutes'), (2, 'executed', now())`;
    await minimal`insert into execution_events values (1, 'failed', now() - interval '5 minutes'), (2, 'filled', now())`;
    for (const check of [directivesStalePending, executionsFailed, dbConnections, idleTransactions]) {
      const result = await runCheck(check, 5000);
      expect(result.error, check.id).toBeUndefined();
      expect(result.status, check.id).not.toBe("unknown");
    }
    expect((await runCheck(directivesStalePending, 5000)).value).toBe(1);
    expect((await runCheck(executionsFailed, 5000)).value).toBe(1);
  });

  it("offers and performs the stale-directive cancel on the minimal columns", async () => {
    const { rows } = await getStalePendingDirectives({ olderThanSeconds: 600, limit: 10 });
    expect(rows).toEqual([expect.objectContaining({ id: "1", symbol: null })]);
    const result = await cancelStaleDirectives.execute([{ id: "1" }], { params: {}, idempotencyKey: "k", requestId: "r" });
    expect(result.perTarget).toEqual([{ target: "1", outcome: "cancelled" }]);
    expect(await minimal`select status from trade_directives where id = 1`).toEqual([{ status: "cancelled" }]);
  });
});
