CREATE TABLE "execution_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"directive_id" bigint,
	"status" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signal_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"symbol" text,
	"side" text,
	"strength" numeric,
	"payload" jsonb
);
--> statement-breakpoint
CREATE TABLE "trade_directives" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"signal_id" bigint,
	"symbol" text,
	"side" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "execution_events_failed_created_at_idx" ON "execution_events" USING btree ("created_at") WHERE status = 'failed';--> statement-breakpoint
CREATE INDEX "execution_events_created_at_idx" ON "execution_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "signal_outbox_created_at_idx" ON "signal_outbox" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "trade_directives_pending_created_at_idx" ON "trade_directives" USING btree ("created_at") WHERE status = 'pending';