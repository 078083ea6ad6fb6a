-- Webhook URLs are credentials (Slack's carries its token in the path). Deliveries and timeline
-- events recorded before the console named webhooks by origin and fingerprint held the whole URL:
-- keep the origin only, without any user:password, and mark the fingerprint as unknown.
UPDATE "console"."notification_deliveries"
SET "url" = regexp_replace("url", '^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*@)?([^/?#]*).*$', '\1\3/… (#earlier)')
WHERE "url" !~ ' \(#[0-9a-z]+\)$';
--> statement-breakpoint
UPDATE "console"."incident_events"
SET "data" = jsonb_set("data", '{url}', to_jsonb(regexp_replace("data"->>'url', '^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*@)?([^/?#]*).*$', '\1\3/… (#earlier)')))
WHERE "kind" = 'notification' AND "data" ? 'url' AND "data"->>'url' !~ ' \(#[0-9a-z]+\)$';
