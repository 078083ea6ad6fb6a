-- The audit view's "text in the reason" filter is `reason ILIKE '%…%'`; a trigram GIN index keeps
-- it fast at a million rows. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension
-- since PostgreSQL 13, so the store's owner may create it without being a superuser.
-- It goes into schema `console` (not `public`) when we create it, so a console store sharing
-- the trading server adds nothing outside its own schema; an existing pg_trgm is used where it is.
-- Where the extension cannot be had (not installed, or no privilege), the filter still works, by
-- a scan, and this migration leaves a notice instead of failing the deployment.
DO $$
DECLARE
  ext_schema text;
BEGIN
  SELECT n.nspname INTO ext_schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NULL THEN
    BEGIN
      CREATE EXTENSION pg_trgm SCHEMA console;
      ext_schema := 'console';
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'pg_trgm is not available (%): the audit reason filter will scan instead of using an index', SQLERRM;
      RETURN;
    END;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS audit_log_reason_trgm_idx ON console.audit_log USING gin (reason %I.gin_trgm_ops)',
    ext_schema
  );
END
$$;
