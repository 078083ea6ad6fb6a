CREATE TABLE "console"."shared_snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"snapshot" jsonb NOT NULL,
	"generated_at" timestamp (3) with time zone NOT NULL,
	"evaluated_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revision" bigint DEFAULT 1 NOT NULL
);
