-- IF NOT EXISTS: the migrator creates the schema first for its own bookkeeping table.
CREATE SCHEMA IF NOT EXISTS "console";
--> statement-breakpoint
CREATE TABLE "console"."audit_log" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"actor_id" text,
	"actor_email" text,
	"actor_role" text,
	"action" text NOT NULL,
	"phase" text NOT NULL,
	"intent_seq" bigint,
	"outcome" text NOT NULL,
	"reason" text,
	"incident_ref" text,
	"params" jsonb,
	"detail" jsonb,
	"request" jsonb,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_log_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "console"."users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"role" text NOT NULL,
	"password_hash" text,
	"session_version" integer DEFAULT 1 NOT NULL,
	"disabled_at" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "console"."audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "console"."audit_log" USING btree ("actor_email","seq");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "console"."audit_log" USING btree ("action","seq");--> statement-breakpoint
CREATE INDEX "audit_log_outcome_idx" ON "console"."audit_log" USING btree ("outcome","seq");--> statement-breakpoint
CREATE INDEX "audit_log_intent_seq_idx" ON "console"."audit_log" USING btree ("intent_seq") WHERE intent_seq IS NOT NULL;