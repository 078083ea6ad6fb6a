/**
 * The console store: the console's own tables, always in the Postgres schema `console`,
 * so they sit apart whether the store has its own database or shares the trading server.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgSchema, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { AuditOutcome, AuditPhase } from "../audit-entry.ts";

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
  /** "<issuer>#<sub>" of the SSO identity linked to this user; null for local-only users. */
  ssoSubject: text("sso_subject").unique(),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Append-only, hash-chained audit log (see lib/recovery/audit/writer.ts for the chain and
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
    phase: text("phase").$type<AuditPhase>().notNull(),
    /** For an outcome entry: the seq of its intent. */
    intentSeq: bigint("intent_seq", { mode: "number" }),
    outcome: text("outcome").$type<AuditOutcome>().notNull(),
    reason: text("reason"),
    incidentRef: text("incident_ref"),
    params: jsonb("params"),
    detail: jsonb("detail"),
    request: jsonb("request"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    // (at, seq): a time range turns into an exact seq range with an index-only scan (queries/audit.ts).
    index("audit_log_at_idx").on(t.at, t.seq),
    index("audit_log_actor_idx").on(t.actorEmail, t.seq),
    index("audit_log_action_idx").on(t.action, t.seq),
    index("audit_log_outcome_idx").on(t.outcome, t.seq),
    index("audit_log_intent_seq_idx")
      .on(t.intentSeq)
      .where(sql`intent_seq IS NOT NULL`),
    // The audit view's filters page by seq (keyset); these keep each filter an index range scan at
    // a million rows. Text in `reason` uses a trigram index from a custom migration (pg_trgm).
    index("audit_log_incident_idx")
      .on(t.incidentRef, t.seq)
      .where(sql`incident_ref IS NOT NULL`),
    index("audit_log_intents_idx")
      .on(t.seq)
      .where(sql`phase = 'intent'`),
  ],
);

/**
 * What a user was shown before confirming a recovery action: the exact target set. The signed
 * preview token names a row here; the confirm executes only these targets (and only those that
 * still match). A preview is confirmed once. Expired rows are useless and are purged (janitor).
 */
export const actionPreviews = consoleSchema.table(
  "action_previews",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    action: text("action").notNull(),
    actorId: text("actor_id").notNull(),
    /** The validated parameters the preview was made with: a confirm must bring the same. */
    params: jsonb("params"),
    /** [{ id } | { pid, backendStart }, ...] */
    targets: jsonb("targets").notNull(),
    /** Targets shown but never to be touched, with the reason (e.g. superuser backend). */
    excluded: jsonb("excluded"),
    summary: jsonb("summary"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Set by the one confirm that used it (single use); given back if that confirm was refused before any effect. */
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
    /** The idempotency key of that confirm. */
    consumedKey: text("consumed_key"),
  },
  // Previews per user per minute (the preview rate limit).
  (t) => [index("action_previews_actor_created_idx").on(t.actorId, t.createdAt)],
);

/**
 * One row per confirmed run, keyed by the client's idempotency key: a double click or a retried
 * request finds the first run (in progress or its result) instead of running twice. Also the
 * source of cooldowns and per-user rate limits.
 */
export const actionRuns = consoleSchema.table(
  "action_runs",
  {
    idempotencyKey: text("idempotency_key").primaryKey(),
    action: text("action").notNull(),
    actorId: text("actor_id").notNull(),
    /** SHA-256 of the canonical parameters: the same key with other parameters is refused. */
    paramsHash: text("params_hash").notNull(),
    /** running | done */
    state: text("state").notNull(),
    /** True once the effect was attempted (cooldowns count these). */
    executed: integer("executed").notNull().default(0),
    outcome: text("outcome"),
    result: jsonb("result"),
    intentSeq: bigint("intent_seq", { mode: "number" }),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("action_runs_action_started_idx").on(t.action, t.startedAt), index("action_runs_actor_started_idx").on(t.actorId, t.startedAt)],
);

/** Two-person approval of a large recovery action: the requester's confirm, waiting for a second on-call. */
export const actionApprovals = consoleSchema.table(
  "action_approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    action: text("action").notNull(),
    previewId: uuid("preview_id").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedByEmail: text("requested_by_email").notNull(),
    params: jsonb("params").notNull(),
    targetCount: integer("target_count").notNull(),
    /** pending | approved | expired | rejected */
    state: text("state").notNull().default("pending"),
    approvedBy: text("approved_by"),
    approvedByEmail: text("approved_by_email"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [index("action_approvals_state_idx").on(t.state, t.expiresAt)],
);

/**
 * EA heartbeats (runbook scenario 5, "Prevention: implement heartbeat mechanism, dual EA setup"):
 * one row per EA instance, upserted by POST /api/heartbeat. They live in the console store, not the
 * trading DB: the console never writes to trading tables.
 */
export const eaHeartbeats = consoleSchema.table(
  "ea_heartbeats",
  {
    instance: text("instance").primaryKey(),
    /** primary | backup */
    role: text("role").$type<"primary" | "backup">().notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    beats: bigint("beats", { mode: "number" }).notNull().default(1),
    /** What the EA reports about itself (e.g. its version), if anything. */
    version: text("version"),
    remoteAddr: text("remote_addr"),
  },
  (t) => [check("ea_heartbeats_role_check", sql`${t.role} in ('primary', 'backup')`)],
);

/**
 * Sessions ended by signing out. A session is a JWT the console cannot delete, so its id (`sid`)
 * is recorded here and refused from then on, even if a copy of the cookie (or a response that was
 * in flight) brings it back. Rows expire with the longest a session can live (SESSION_MAX_HOURS).
 */
export const endedSessions = consoleSchema.table(
  "ended_sessions",
  {
    sid: text("sid").primaryKey(),
    userId: uuid("user_id").notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("ended_sessions_expires_idx").on(t.expiresAt)],
);

/**
 * Sign-in attempts, for throttling (5 failures in 15 minutes per account and per client).
 * `succeeded` is null while the password is being checked, so a burst of parallel guesses
 * counts against the limit before any of them finishes. Rows older than a day are purged.
 */
export const loginAttempts = consoleSchema.table(
  "login_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** The normalized email as typed: throttling never depends on whether the account exists. */
    accountKey: text("account_key").notNull(),
    /** The client's address (see lib/auth/request-meta.ts), or null when unknown. */
    clientKey: text("client_key"),
    succeeded: boolean("succeeded"),
  },
  (t) => [index("login_attempts_account_idx").on(t.accountKey, t.at), index("login_attempts_client_idx").on(t.clientKey, t.at)],
);

/**
 * Incidents (runbook "Escalation Procedure" and "Post-Incident"): opened by the background
 * evaluator when a check turns critical, one open incident per runbook scenario.
 */
export const incidents = consoleSchema.table(
  "incidents",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    scenario: integer("scenario").notNull(),
    title: text("title").notNull(),
    /** open | resolved */
    status: text("status").notNull().default("open"),
    /** The first critical observation. */
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull().defaultNow(),
    level: integer("level").notNull().default(1),
    maxLevel: integer("max_level").notNull().default(1),
    /** Check ids that took part; all must stay ok for the resolve streak. */
    checkIds: jsonb("check_ids").$type<string[]>().notNull(),
    /** Consecutive evaluations with every check ok (flap damping). */
    okStreak: integer("ok_streak").notNull().default(0),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: text("acknowledged_by"),
    commander: text("commander"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** The runbook's post-incident checklist: { report, runbook, adr, postmortem } → done. */
    checklist: jsonb("checklist")
      .$type<Record<string, boolean>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** The runbook version in force when the incident opened (runbook_versions.hash). */
    runbookHash: text("runbook_hash"),
  },
  (t) => [index("incidents_status_idx").on(t.status, t.scenario), index("incidents_started_idx").on(t.startedAt)],
);

/** The incident's single timeline: transitions, levels, acknowledgements, notes, notifications. */
export const incidentEvents = consoleSchema.table(
  "incident_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    incidentId: bigint("incident_id", { mode: "number" }).notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** opened | joined | transition | level | acknowledged | note | commander | notification | resolved | checklist */
    kind: text("kind").notNull(),
    actor: text("actor"),
    /** Notes marked public are shown to stakeholders on /status. */
    public: boolean("public").notNull().default(false),
    data: jsonb("data"),
  },
  (t) => [index("incident_events_incident_idx").on(t.incidentId, t.at)],
);

/** Every change of a check's status, with its time and value. */
export const checkTransitions = consoleSchema.table(
  "check_transitions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    checkId: text("check_id").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    value: jsonb("value"),
    summary: text("summary"),
  },
  (t) => [index("check_transitions_check_idx").on(t.checkId, t.at), index("check_transitions_at_idx").on(t.at)],
);

/** Webhook deliveries of incident notifications, each attempt recorded. */
export const notificationDeliveries = consoleSchema.table(
  "notification_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    incidentId: bigint("incident_id", { mode: "number" }).notNull(),
    event: text("event").notNull(),
    url: text("url").notNull(),
    attempt: integer("attempt").notNull(),
    /** delivered | failed | gave_up */
    status: text("status").notNull(),
    httpStatus: integer("http_status"),
    error: text("error"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("notification_deliveries_incident_idx").on(t.incidentId, t.at)],
);

/**
 * Each distinct runbook the console has served (RUNBOOK_FILE, lib/recovery/runbook/source.ts),
 * by the SHA-256 of its text: its "Last Updated" and "Owner" lines, and the text itself for the
 * diff from the previous version on /runbook. Insert-if-absent by hash, from any instance.
 */
export const runbookVersions = consoleSchema.table(
  "runbook_versions",
  {
    hash: text("hash").primaryKey(),
    lastUpdated: text("last_updated"),
    owner: text("owner"),
    content: text("content").notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("runbook_versions_seen_idx").on(t.firstSeenAt)],
);

/**
 * Level 1 automated recovery (lib/recovery/automation): one row per thing a policy did for an
 * incident: ran its action (`running` until its outcome is known), a dry-run's "would run", an
 * approval it asked a person for, a hand-over above its target limit, a refusal by a guard, or the
 * stop after its most runs. Every instance reads the same rows: the leader decides from them, the
 * panels show them.
 */
export const automationRuns = consoleSchema.table(
  "automation_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    policy: text("policy").notNull(),
    incidentId: bigint("incident_id", { mode: "number" }),
    checkId: text("check_id").notNull(),
    action: text("action").notNull(),
    /** dry-run | on */
    mode: text("mode").notNull(),
    /** running | ran | unknown | would_run | approval_required | handed_over | refused | exhausted */
    state: text("state").notNull(),
    /** For `ran`: the action's outcome (succeeded, partial, failed, timeout_unknown). */
    outcome: text("outcome"),
    /** The guarded run's idempotency key (one per policy, incident and run number). */
    idempotencyKey: text("idempotency_key").unique(),
    intentSeq: bigint("intent_seq", { mode: "number" }),
    message: text("message").notNull(),
    detail: jsonb("detail"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("automation_runs_policy_incident_idx").on(t.policy, t.incidentId, t.at), index("automation_runs_incident_idx").on(t.incidentId, t.at)],
);

/** A policy paused by on-call (the panel's Pause button): no instance runs it until it is resumed. */
export const automationPauses = consoleSchema.table("automation_pauses", {
  policy: text("policy").primaryKey(),
  pausedBy: text("paused_by").notNull(),
  pausedByEmail: text("paused_by_email").notNull(),
  pausedAt: timestamp("paused_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Several instances behind a load balancer (docs/deploying.md): the health snapshot the incident
 * leader evaluated, shared with the other instances, which serve it instead of querying the trading
 * DB themselves (lib/recovery/health/snapshot.ts). One row per id ("health"). `published_at` is
 * stamped by the database's clock, so an instance judges the row's age without trusting another's.
 */
export const sharedSnapshots = consoleSchema.table("shared_snapshots", {
  id: text("id").primaryKey(),
  snapshot: jsonb("snapshot").notNull(),
  /** When the instance that evaluated it finished (its own clock; shown, never compared). */
  generatedAt: timestamp("generated_at", { withTimezone: true, precision: 3 }).notNull(),
  /** "host:pid" of the instance that evaluated it. */
  evaluatedBy: text("evaluated_by").notNull(),
  publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
  /** Bumped on every write (a publication, or one check merged after an action), so readers see a change. */
  revision: bigint("revision", { mode: "number" }).notNull().default(1),
});
