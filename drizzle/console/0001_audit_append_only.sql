-- The audit log is append-only in the database, not only in the code.
-- UPDATE and DELETE are rejected row by row; TRUNCATE by a statement trigger.
-- A superuser can still disable these triggers: that is why the log is also hash-chained
-- and its head anchored outside the database (see lib/recovery/audit.ts).
CREATE OR REPLACE FUNCTION "console"."audit_log_reject_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_update_delete"
  BEFORE UPDATE OR DELETE ON "console"."audit_log"
  FOR EACH ROW EXECUTE FUNCTION "console"."audit_log_reject_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate"
  BEFORE TRUNCATE ON "console"."audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "console"."audit_log_reject_change"();
