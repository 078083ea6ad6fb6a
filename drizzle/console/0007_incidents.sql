CREATE TABLE "console"."check_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"check_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"value" jsonb,
	"summary" text
);
--> statement-breakpoint
CREATE TABLE "console"."incident_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"incident_id" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"actor" text,
	"public" boolean DEFAULT false NOT NULL,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "console"."incidents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scenario" integer NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" integer DEFAULT 1 NOT NULL,
	"max_level" integer DEFAULT 1 NOT NULL,
	"check_ids" jsonb NOT NULL,
	"ok_streak" integer DEFAULT 0 NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"commander" text,
	"resolved_at" timestamp with time zone,
	"checklist" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console"."notification_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"incident_id" bigint NOT NULL,
	"event" text NOT NULL,
	"url" text NOT NULL,
	"attempt" integer NOT NULL,
	"status" text NOT NULL,
	"http_status" integer,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "check_transitions_check_idx" ON "console"."check_transitions" USING btree ("check_id","at");--> statement-breakpoint
CREATE INDEX "check_transitions_at_idx" ON "console"."check_transitions" USING btree ("at");--> statement-breakpoint
CREATE INDEX "incident_events_incident_idx" ON "console"."incident_events" USING btree ("incident_id","at");--> statement-breakpoint
CREATE INDEX "incidents_status_idx" ON "console"."incidents" USING btree ("status","scenario");--> statement-breakpoint
CREATE INDEX "incidents_started_idx" ON "console"."incidents" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "notification_deliveries_incident_idx" ON "console"."notification_deliveries" USING btree ("incident_id","at");