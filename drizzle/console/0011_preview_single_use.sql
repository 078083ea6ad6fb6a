ALTER TABLE "console"."action_previews" ADD COLUMN "params" jsonb;--> statement-breakpoint
ALTER TABLE "console"."action_previews" ADD COLUMN "consumed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "console"."action_previews" ADD COLUMN "consumed_key" text;--> statement-breakpoint
CREATE INDEX "action_previews_actor_created_idx" ON "console"."action_previews" USING btree ("actor_id","created_at");