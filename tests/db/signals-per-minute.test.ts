import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { getSignalsPerMinute, signalsPerMinuteQuery } from "@/lib/db/queries/trading";
import { connect, resetTrading, type Sql } from "../support/db";

let sql: Sql;

beforeAll(() => {
  sql = connect("trading");
});
beforeEach(() => resetTrading(sql));
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe("signals per minute (the signals sparkline's rollup)", () => {
  it("has one entry per minute of the last hour, equal to a hand-written date_trunc count", async () => {
    await sql`insert into signal_outbox (created_at) select now() - make_interval(secs => s) from unnest(${[1, 2, 3, 65, 70, 1800, 3500, 3700, 7200]}::int[]) s`;
    const rollup = await getSignalsPerMinute({ minutes: 60 });
    const direct = await sql<{ minute: Date; count: string }[]>`
      SELECT date_trunc('minute', created_at) AS minute, count(*) FROM signal_outbox
      WHERE created_at >= date_trunc('minute', now()) - interval '59 minutes'
      GROUP BY 1`;
    expect(rollup).toHaveLength(60);
    const minutes = rollup.map((r) => Date.parse(r.minute));
    expect(minutes.every((m, i) => i === 0 || m - minutes[i - 1]! === 60_000)).toBe(true);
    const nonZero = rollup.filter((r) => r.count > 0).map((r) => [r.minute, r.count]);
    expect(nonZero).toEqual(direct.map((d) => [d.minute.toISOString(), Number(d.count)]).sort());
    expect(rollup.reduce((n, r) => n + r.count, 0)).toBe(direct.reduce((n, d) => n + Number(d.count), 0));
  });

  it("is all zeros on an empty table", async () => {
    const rollup = await getSignalsPerMinute({ minutes: 60 });
    expect(rollup).toHaveLength(60);
    expect(rollup.every((r) => r.count === 0)).toBe(true);
  });

  it("reads the created_at index, not the whole table", async () => {
    await sql`insert into signal_outbox (created_at) select now() - make_interval(secs => s) from generate_series(1, 20000) s`;
    await sql`analyze signal_outbox`;
    const plan = await sql<Record<string, string>[]>`explain ${signalsPerMinuteQuery(sql, 60)}`;
    const text = plan.map((r) => Object.values(r)[0]).join("\n");
    expect(text).toMatch(/Index (Only )?Scan using signal_outbox_created_at_idx/);
    expect(text).not.toMatch(/Seq Scan on signal_outbox/);
  });
});
