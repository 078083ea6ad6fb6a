CREATE TABLE "console"."action_approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"preview_id" uuid NOT NULL,
	"requested_by" text NOT NULL,
	"requested_by_email" text NOT NULL,
	"params" jsonb NOT NULL,
	"target_count" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"approved_by" text,
	"approved_by_email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console"."action_previews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"actor_id" text NOT NULL,
	"targets" jsonb NOT NULL,
	"excluded" jsonb,
	"summary" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console"."action_runs" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"actor_id" text NOT NULL,
	"params_hash" text NOT NULL,
	"state" text NOT NULL,
	"executed" integer DEFAULT 0 NOT NULL,
	"outcome" text,
	"result" jsonb,
	"intent_seq" bigint,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "action_approvals_state_idx" ON "console"."action_approvals" USING btree ("state","expires_at");--> statement-breakpoint
CREATE INDEX "action_runs_action_started_idx" ON "console"."action_runs" USING btree ("action","started_at");--> statement-breakpoint
CREATE INDEX "action_runs_actor_started_idx" ON "console"."action_runs" USING btree ("actor_id","started_at");