DROP INDEX "console"."audit_log_at_idx";--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "console"."audit_log" USING btree ("at","seq");