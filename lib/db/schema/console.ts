/**
 * The console store: the console's own tables, always in the Postgres schema `console`,
 * so they sit apart whether the store has its own database or shares the trading server.
 */
import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgSchema, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const consoleSchema = pgSchema("console");

export const roles = ["oncall", "viewer", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

export const users = consoleSchema.table("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name"),
  role: text("role").$type<Role>().notNull(),
  /** argon2id; null for SSO-only users. */
  passwordHash: text("password_hash"),
  /** Bumped on disable or role change, so that outstanding JWTs stop working (revocation). */
  sessionVersion: integer("session_version").notNull().default(1),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Append-only, hash-chained audit log (see lib/recovery/audit.ts for the chain and
 * the canonical JSON). A trigger (custom migration) rejects UPDATE, DELETE and TRUNCATE.
 */
export const auditLog = consoleSchema.table(
  "audit_log",
  {
    /** Gap-free sequence, assigned under an advisory lock in the inserting transaction. */
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    actorId: text("actor_id"),
    actorEmail: text("actor_email"),
    actorRole: text("actor_role"),
    action: text("action").notNull(),
    /** intent | outcome | event */
    phase: text("phase").notNull(),
    /** For an outcome entry: the seq of its intent. */
    intentSeq: bigint("intent_seq", { mode: "number" }),
    outcome: text("outcome").notNull(),
    reason: text("reason"),
    incidentRef: text("incident_ref"),
    params: jsonb("params"),
    detail: jsonb("detail"),
    request: jsonb("request"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at),
    index("audit_log_actor_idx").on(t.actorEmail, t.seq),
    index("audit_log_action_idx").on(t.action, t.seq),
    index("audit_log_outcome_idx").on(t.outcome, t.seq),
    index("audit_log_intent_seq_idx").on(t.intentSeq).where(sql`intent_seq IS NOT NULL`),
  ],
);
