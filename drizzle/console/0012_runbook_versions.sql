CREATE TABLE "console"."runbook_versions" (
	"hash" text PRIMARY KEY NOT NULL,
	"last_updated" text,
	"owner" text,
	"content" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "console"."incidents" ADD COLUMN "runbook_hash" text;--> statement-breakpoint
CREATE INDEX "runbook_versions_seen_idx" ON "console"."runbook_versions" USING btree ("first_seen_at");