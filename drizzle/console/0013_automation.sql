CREATE TABLE "console"."automation_pauses" (
	"policy" text PRIMARY KEY NOT NULL,
	"paused_by" text NOT NULL,
	"paused_by_email" text NOT NULL,
	"paused_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console"."automation_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"policy" text NOT NULL,
	"incident_id" bigint,
	"check_id" text NOT NULL,
	"action" text NOT NULL,
	"mode" text NOT NULL,
	"state" text NOT NULL,
	"outcome" text,
	"idempotency_key" text,
	"intent_seq" bigint,
	"message" text NOT NULL,
	"detail" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "automation_runs_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "automation_runs_policy_incident_idx" ON "console"."automation_runs" USING btree ("policy","incident_id","at");--> statement-breakpoint
CREATE INDEX "automation_runs_incident_idx" ON "console"."automation_runs" USING btree ("incident_id","at");