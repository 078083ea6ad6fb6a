CREATE TABLE "console"."login_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"account_key" text NOT NULL,
	"client_key" text,
	"succeeded" boolean
);
--> statement-breakpoint
ALTER TABLE "console"."users" ADD COLUMN "sso_subject" text;--> statement-breakpoint
CREATE INDEX "login_attempts_account_idx" ON "console"."login_attempts" USING btree ("account_key","at");--> statement-breakpoint
CREATE INDEX "login_attempts_client_idx" ON "console"."login_attempts" USING btree ("client_key","at");--> statement-breakpoint
ALTER TABLE "console"."users" ADD CONSTRAINT "users_sso_subject_unique" UNIQUE("sso_subject");