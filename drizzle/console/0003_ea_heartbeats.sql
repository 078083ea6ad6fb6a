CREATE TABLE "console"."ea_heartbeats" (
	"instance" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"beats" bigint DEFAULT 1 NOT NULL,
	"version" text,
	"remote_addr" text,
	CONSTRAINT "ea_heartbeats_role_check" CHECK ("console"."ea_heartbeats"."role" in ('primary', 'backup'))
);
