/**
 * The DistortSignals trading tables, as the console reads them.
 *
 * This file is the *fixture* DDL: it is migrated only into demo and test databases
 * (or on request with `npm run db:migrate -- --trading-fixtures`). In production the
 * trading tables already exist and the console never creates or alters them.
 *
 * The console relies only on the runbook's columns (`id`, `status`, `created_at`);
 * everything else here (`symbol`, `updated_at`, `directive_id`, `error`, ...) is
 * optional and the console tolerates its absence (see lib/db/queries/trading-columns.ts).
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, index, jsonb, numeric, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const signalOutbox = pgTable(
  "signal_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    symbol: text("symbol"),
    side: text("side"),
    strength: numeric("strength"),
    payload: jsonb("payload"),
  },
  // Runbook "Recent signals": WHERE created_at > NOW() - INTERVAL '5 minutes'.
  (t) => [index("signal_outbox_created_at_idx").on(t.createdAt)],
);

export const tradeDirectives = pgTable(
  "trade_directives",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    signalId: bigint("signal_id", { mode: "number" }),
    symbol: text("symbol"),
    side: text("side"),
    // pending | processing | executed | failed | cancelled
    status: text("status").notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Runbook "Pending directives": WHERE status = 'pending' AND created_at < NOW() - INTERVAL '10 minutes'.
  // A partial index keeps this tiny however many processed directives accumulate.
  (t) => [
    index("trade_directives_pending_created_at_idx")
      .on(t.createdAt)
      .where(sql`status = 'pending'`),
  ],
);

export const executionEvents = pgTable(
  "execution_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    directiveId: bigint("directive_id", { mode: "number" }),
    // filled | rejected | failed | ...
    status: text("status").notNull(),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Runbook "Failed executions": WHERE status = 'failed' AND created_at > NOW() - INTERVAL '1 hour'.
  // The plain created_at index serves the EA-heartbeat "newest execution event" probe.
  (t) => [
    index("execution_events_failed_created_at_idx")
      .on(t.createdAt)
      .where(sql`status = 'failed'`),
    index("execution_events_created_at_idx").on(t.createdAt),
  ],
);
