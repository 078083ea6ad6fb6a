/**
 * Trading databases for the bench, seeded in SQL with generate_series (never row by row).
 *
 * The traffic is the same at every size: RATE_PER_HOUR signals an hour, each followed by a
 * directive, and each processed directive by an execution event (5 % failed). Only the history
 * grows: 10k signals are the last 2 hours; 10M are about 83 days. That is the question growth_ratio
 * asks: does a check slow down as history accumulates? (A denser table, with 1000× more rows in
 * the last 5 minutes, would measure a busier trading system, not a longer-lived one.)
 *
 * A database holds `base` history rows (ids 1..base, seeded once and cached: the database's comment
 * marks a complete seed) and a 2-hour "window" ending now, rebuilt on every run, so the runbook's
 * windows ("last 5 minutes", "last hour", "older than 10 minutes") always hold current rows: the
 * newest ~2 minutes of directives are pending, ~1 % of those 15 to 60 minutes old are stale
 * pending. Everything above `base` (the previous window, rows the bench itself added) is deleted
 * first.
 */
import { migrateTradingFixtures } from "../../../lib/db/migrate.ts";
import { connect, createDatabase, databaseComment, setDatabaseComment, type BenchServer, type Sql } from "./pg.ts";
import { say, ticker } from "./progress.ts";

export const RATE_PER_HOUR = 5000;
/** Seconds between two signals at RATE_PER_HOUR. */
const STEP_S = 3600 / RATE_PER_HOUR;
/** The window rebuilt on every run: 2 hours of traffic. */
export const WINDOW_ROWS = 10_000;
/** Bump when the shape of the seed changes: cached databases are then re-seeded. */
const SEED_VERSION = 1;
const CHUNK = 1_000_000;
const TABLES = ["signal_outbox", "trade_directives", "execution_events"] as const;
const SYMBOLS = "array['EURUSD','GBPUSD','USDJPY','XAUUSD','BTCUSD']";

export type TradingDb = { name: string; url: string; signals: number; base: number; cached: boolean; seedMs: number };

function marker(signals: number, base: number): string {
  return `recovery-console bench seed v${SEED_VERSION}: signals=${signals} base=${base} complete`;
}

/** A trading database with `signals` rows of signal_outbox (and as many directives and events), cached by name. */
export async function tradingDatabase(server: BenchServer, signals: number, opts: { cache: boolean }): Promise<TradingDb> {
  const name = `rc_bench_trading_${signals}`;
  const base = Math.max(0, signals - WINDOW_ROWS);
  const url = server.url(name);
  const t0 = performance.now();
  const comment = await databaseComment(server, name);
  const cached = opts.cache && comment === marker(signals, base);
  if (!cached) {
    say(`  seeding ${name}: ${signals.toLocaleString("en")} signals with their directives and execution events (generate_series)`);
    await createDatabase(server, name);
    await migrateTradingFixtures(url);
    if (base > 0) await seedBase(url, signals, base);
    await setDatabaseComment(server, name, marker(signals, base));
  } else {
    say(`  ${name}: reusing the cached seed (${signals.toLocaleString("en")} signals)`);
  }
  await rebuildWindow(url, base);
  return { name, url, signals, base, cached, seedMs: performance.now() - t0 };
}

/**
 * Rows k = from..to (0 = oldest) of a `signals`-long history, with ids k + 1: row k is at
 * anchor - (signals - 1 - k) * STEP_S seconds. Every directive of the history was processed
 * (5 % failed), and each has its execution event.
 */
function historySql(table: (typeof TABLES)[number], h: { signals: number; anchor: string; from: number; to: number }): string {
  const at = (delta: string) => `'${h.anchor}'::timestamptz - make_interval(secs => (${h.signals - 1} - k) * ${STEP_S})${delta}`;
  const series = `generate_series(${h.from}, ${h.to}) k`;
  switch (table) {
    case "signal_outbox":
      return `
        insert into signal_outbox (id, created_at, symbol, side, strength, payload)
        select k + 1, ${at("")}, (${SYMBOLS})[1 + k % 5], case when k % 2 = 0 then 'buy' else 'sell' end,
               round(0.5 + (k % 500) / 1000.0, 3), jsonb_build_object('source', 'bench', 'model', 'distort-v3', 'k', k)
        from ${series}`;
    case "trade_directives":
      return `
        insert into trade_directives (id, signal_id, symbol, side, status, created_at, updated_at)
        select k + 1, k + 1, (${SYMBOLS})[1 + k % 5], case when k % 2 = 0 then 'buy' else 'sell' end,
               case when k % 20 = 3 then 'failed' else 'executed' end, ${at(" + interval '100 milliseconds'")}, ${at(" + interval '1 second'")}
        from ${series}`;
    case "execution_events":
      return `
        insert into execution_events (id, directive_id, status, error, created_at)
        select k + 1, k + 1, case when k % 20 = 3 then 'failed' else 'filled' end,
               case when k % 20 = 3 then 'TRADE_RETCODE_REJECT' end, ${at(" + interval '500 milliseconds'")}
        from ${series}`;
  }
}

/**
 * The same shape on an existing connection, in one go (no index juggling): for test-sized tables.
 * Empties the three tables first; analyzes them after.
 */
export async function seedTradingTables(sql: Sql, signals: number): Promise<void> {
  const base = Math.max(0, signals - WINDOW_ROWS);
  await sql`truncate signal_outbox, trade_directives, execution_events restart identity`;
  if (base > 0) {
    const [{ anchor }] = await sql<[{ anchor: string }]>`select now()::text as anchor`;
    for (const t of TABLES) {
      await sql.unsafe(historySql(t, { signals, anchor, from: 0, to: base - 1 }));
      await sql.unsafe(`select setval(pg_get_serial_sequence('${t}', 'id'), ${base})`);
    }
  }
  await insertWindow(sql, Math.min(signals, WINDOW_ROWS));
  for (const t of TABLES) await sql.unsafe(`analyze ${t}`);
}

/** The history: ids 1..base, ending where the window starts. Indexes are built after the load. */
async function seedBase(url: string, signals: number, base: number): Promise<void> {
  const admin = connect(url);
  const indexes = await admin<{ name: string; def: string }[]>`
    select c2.relname as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_class c2 on c2.oid = i.indexrelid
    where c.relname in ${admin(TABLES as unknown as string[])} and not i.indisprimary`;
  for (const ix of indexes) await admin.unsafe(`drop index "${ix.name}"`);
  const [{ anchor }] = await admin<[{ anchor: string }]>`select now()::text as anchor`;
  await admin.end({ timeout: 2 });

  const done: Record<string, number> = { signal_outbox: 0, trade_directives: 0, execution_events: 0 };
  const tick = ticker("", 5000);
  const report = () => tick(TABLES.map((t) => `${t} ${(done[t]! / 1e6).toFixed(1)}M`).join(", ") + ` of ${(base / 1e6).toFixed(1)}M rows`);
  // One connection per table: the loads run side by side.
  await Promise.all(
    TABLES.map(async (table) => {
      const sql = connect(url, { connection: { synchronous_commit: "off", maintenance_work_mem: "256MB" } });
      try {
        for (let from = 0; from < base; from += CHUNK) {
          const to = Math.min(base, from + CHUNK) - 1;
          await sql.unsafe(historySql(table, { signals, anchor, from, to }));
          done[table] = to + 1;
          report();
        }
        await sql.unsafe(`select setval(pg_get_serial_sequence('${table}', 'id'), ${base})`);
        for (const ix of indexes.filter((i) => i.def.includes(` ON public.${table} `))) await sql.unsafe(ix.def);
        await sql.unsafe(`vacuum (analyze) ${table}`);
      } finally {
        await sql.end({ timeout: 2 });
      }
    }),
  );
  say(`  history loaded: ${base.toLocaleString("en")} rows per table, indexes built, vacuumed`);
}

/**
 * The last 2 hours of traffic, relative to now: deletes everything above `base` (the previous
 * window and whatever the bench added), inserts the window, then vacuums and analyzes.
 */
export async function rebuildWindow(url: string, base: number): Promise<void> {
  const sql = connect(url);
  try {
    await sql.begin(async (tx) => {
      for (const t of [...TABLES].reverse()) await tx.unsafe(`delete from ${t} where id > ${base}`);
      await insertWindow(tx as unknown as Sql, WINDOW_ROWS);
    });
    for (const t of TABLES) await sql.unsafe(`vacuum (analyze) ${t}`);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** `rows` signals ending now (at most the 2-hour window), with their directives and execution events. */
async function insertWindow(sql: Sql, rows: number): Promise<void> {
  await sql.unsafe(`
    with s as (
      insert into signal_outbox (created_at, symbol, side, strength, payload)
      select now() - make_interval(secs => (${rows - 1} - j) * ${STEP_S}), (${SYMBOLS})[1 + j % 5],
             case when j % 2 = 0 then 'buy' else 'sell' end, round(0.5 + (j % 500) / 1000.0, 3),
             jsonb_build_object('source', 'bench', 'model', 'distort-v3', 'j', j)
      from generate_series(0, ${rows - 1}) j
      returning id, created_at, symbol, side
    ), d as (
      insert into trade_directives (signal_id, symbol, side, status, created_at, updated_at)
      select id, symbol, side,
             case when created_at > now() - interval '120 seconds' then 'pending'
                  when created_at between now() - interval '3600 seconds' and now() - interval '900 seconds' and id % 100 = 7 then 'pending'
                  when id % 20 = 3 then 'failed' else 'executed' end,
             least(created_at + interval '100 milliseconds', now()), least(created_at + interval '1 second', now())
      from s
      returning id, status, created_at
    )
    insert into execution_events (directive_id, status, error, created_at)
    select id, case when status = 'failed' then 'failed' else 'filled' end,
           case when status = 'failed' then 'TRADE_RETCODE_REJECT' end, least(created_at + interval '500 milliseconds', now())
    from d where status <> 'pending'`);
}

/** Row counts, as reported in the results. */
export async function rowCounts(sql: Sql): Promise<Record<string, number>> {
  const [r] = await sql<[{ s: number; d: number; e: number; pending: number; stale: number }]>`
    select (select count(*) from signal_outbox)::int as s, (select count(*) from trade_directives)::int as d,
           (select count(*) from execution_events)::int as e,
           (select count(*) from trade_directives where status = 'pending')::int as pending,
           (select count(*) from trade_directives where status = 'pending' and created_at < now() - interval '10 minutes')::int as stale`;
  return { signal_outbox: r.s, trade_directives: r.d, execution_events: r.e, pending_directives: r.pending, stale_pending_directives: r.stale };
}
