import "server-only";
/**
 * Incident notifications to INCIDENT_WEBHOOK_URLS on open, acknowledge, escalate and resolve, and
 * to PagerDuty's Events API v2 when PAGERDUTY_ROUTING_KEY is set (trigger at open and at each
 * escalation, so level 2, "engage the on-call engineer", pages a person; acknowledge; resolve; the
 * incident id is the dedup_key, so all of them act on one PagerDuty alert).
 * Sent in the background, never blocking the evaluator. Retried only when another attempt can help:
 * a network error or timeout, a 5xx, or a 429 (after its Retry-After, bounded by RETRY_AFTER_CAP_MS,
 * else exponential backoff with full jitter); any other answer is final. Every attempt is recorded
 * (notification_deliveries), and the final result lands in the incident's timeline, so a failing
 * webhook shows on the incident page.
 */
import { createHmac } from "node:crypto";
import { env } from "../../env.ts";
import { tracedFetch } from "../../trace.ts";
import { withConsole } from "../../db/client.ts";
import { addIncidentEvent, recordDelivery, type IncidentRow } from "../../db/queries/incidents.ts";
import { formatDuration, LEVEL_ASKS } from "./escalation.ts";
import { storedText } from "../audit/hash.ts";

export type NotifyEvent = "opened" | "acknowledged" | "escalated" | "resolved" | "automation";

/** What automation did (lib/recovery/automation): the line an `automation` notification carries, and what an escalation says it tried. */
export type NotifyExtra = { automation?: string };

const TIMEOUT_MS = 5000;

export type RetryPolicy = { attempts: number; baseMs: number; capMs: number };
const DEFAULT_POLICY: RetryPolicy = { attempts: 5, baseMs: 1000, capMs: 60_000 };

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, policy: RetryPolicy = DEFAULT_POLICY, random = Math.random): number {
  return Math.round(random() * Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1)));
}

/** The longest a 429's Retry-After is honoured before the next attempt (a longer one is cut to this). */
export const RETRY_AFTER_CAP_MS = 60_000;

/** Whether another attempt can help: network errors and timeouts (status 0), 5xx and 429. */
export function isRetryable(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/**
 * The wait a 429 asks for (Retry-After: seconds, or an HTTP date), bounded by `capMs`; null when the
 * header is missing or unreadable (the backoff decides then).
 */
export function retryAfterMs(header: string | null, capMs = RETRY_AFTER_CAP_MS, now = Date.now()): number | null {
  if (!header) return null;
  const v = header.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(capMs, Math.max(0, ms));
}

/** Slack's control characters in message text (api.slack.com "Formatting text for app surfaces": escaping). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The console's public origin as configured: CONSOLE_PUBLIC_URL, else next-auth's AUTH_URL. */
export function consolePublicUrl(source: Record<string, string | undefined> = process.env): string | undefined {
  return source.CONSOLE_PUBLIC_URL || source.AUTH_URL || undefined;
}

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/**
 * A PagerDuty Events API v2 event (developer.pagerduty.com, "Send an Alert Event"): trigger at open
 * and at each escalation (the severity rises to critical from level 2), acknowledge, resolve, all
 * with the incident id as dedup_key.
 */
export function pagerDutyEventFor(
  event: Exclude<NotifyEvent, "automation">,
  incident: IncidentRow,
  routingKey: string,
  consoleUrl?: string,
  now = Date.now(),
  extra: NotifyExtra = {},
) {
  const link = consoleUrl ? `${consoleUrl.replace(/\/+$/, "")}/incidents/${incident.id}` : undefined;
  const base = { routing_key: routingKey, dedup_key: String(incident.id) };
  if (event === "acknowledged") return { ...base, event_action: "acknowledge" as const };
  if (event === "resolved") return { ...base, event_action: "resolve" as const };
  const text = eventText(event, incident, now, extra);
  return {
    ...base,
    event_action: "trigger" as const,
    payload: {
      // PagerDuty's limit for the summary.
      summary: text.slice(0, 1024),
      source: consoleUrl ? new URL(consoleUrl).host : "recovery-console",
      severity: incident.level >= 2 ? ("critical" as const) : ("error" as const),
      component: `runbook scenario ${incident.scenario}`,
      group: "recovery-console",
      class: incident.checkIds.join(","),
      custom_details: {
        ref: incident.ref,
        title: incident.title,
        scenario: incident.scenario,
        level: incident.level,
        ask: LEVEL_ASKS[incident.level],
        startedAt: incident.startedAt,
      },
    },
    client: "Recovery Console",
    ...(link ? { client_url: link, links: [{ href: link, text: `${incident.ref} in the Recovery Console` }] } : {}),
  };
}

function eventText(event: NotifyEvent, incident: IncidentRow, now: number, extra: NotifyExtra): string {
  const elapsed = formatDuration(now - Date.parse(incident.startedAt));
  return {
    opened: `${incident.ref} opened: ${incident.title} (runbook scenario ${incident.scenario})`,
    acknowledged: `${incident.ref} acknowledged by ${incident.acknowledgedBy ?? "on-call"}: ${incident.title}`,
    escalated: `${incident.ref} escalated to level ${incident.level} after ${elapsed}: ${LEVEL_ASKS[incident.level]}${extra.automation ? `. ${extra.automation}` : ""}`,
    resolved: `${incident.ref} resolved after ${elapsed}: ${incident.title}`,
    automation: `${incident.ref}: ${extra.automation ?? "automation acted"}`,
  }[event];
}

export function payloadFor(
  event: NotifyEvent,
  incident: IncidentRow,
  format: "json" | "slack",
  consoleUrl?: string,
  now = Date.now(),
  extra: NotifyExtra = {},
) {
  const link = consoleUrl ? `${consoleUrl.replace(/\/+$/, "")}/incidents/${incident.id}` : undefined;
  const text = eventText(event, incident, now, extra);
  // Slack reads &, < and > as markup: a title like "<!channel>" or "A&B" must arrive as text.
  if (format === "slack") return { text: link ? `${slackEscape(text)} <${link}|open>` : slackEscape(text) };
  return {
    event,
    text,
    incident: {
      id: incident.id,
      ref: incident.ref,
      title: incident.title,
      scenario: incident.scenario,
      status: incident.status,
      level: incident.level,
      startedAt: incident.startedAt,
      acknowledgedBy: incident.acknowledgedBy,
      resolvedAt: incident.resolvedAt,
      url: link,
    },
    ...(extra.automation ? { automation: extra.automation } : {}),
    sentAt: new Date(now).toISOString(),
  };
}

/**
 * How a webhook is named wherever people can read it (delivery rows, the timeline, the incident
 * page and report): its origin and a fingerprint. A webhook URL is a credential (Slack's carries
 * its token in the path, others in the query), so the path, query and any password stay out.
 */
export function webhookLabel(url: string, secret: string | undefined = env().AUTH_SECRET): string {
  // Keyed, so a short fingerprint cannot be used to test guesses of the URL offline.
  const fingerprint = createHmac("sha256", secret ?? "recovery-console:webhook")
    .update(url)
    .digest("hex")
    .slice(0, 8);
  try {
    const u = new URL(url);
    const more = u.pathname !== "/" || u.search ? "/…" : "";
    return `${u.protocol}//${u.host}${more} (#${fingerprint})`;
  } catch {
    return `webhook #${fingerprint}`;
  }
}

async function deliver(target: string, body: unknown, incidentId: number, event: NotifyEvent, policy: RetryPolicy): Promise<void> {
  const url = webhookLabel(target);
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let status = 0;
    let error: string | null = null;
    let wait: number | null = null;
    try {
      const res = await tracedFetch("webhook", target, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": "recovery-console" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (res.ok) {
        await recordDelivery({ incidentId, event, url, attempt, status: "delivered", httpStatus: status }).catch(() => {});
        await timeline(incidentId, { event, url, status: "delivered", attempt });
        return;
      }
      error = `HTTP ${status}`;
      if (status === 429) wait = retryAfterMs(res.headers.get("retry-after"), Math.min(RETRY_AFTER_CAP_MS, policy.capMs));
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // fetch says only "fetch failed"; its cause says why (ECONNREFUSED, bad port, …).
      error = (err as Error).name === "TimeoutError" ? `no answer within ${TIMEOUT_MS} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      // Some errors quote the URL they failed on ("Failed to parse URL from …").
      error = error.split(target).join(url);
      // An error text is stored (deliveries, the timeline): exactly as the database will keep it.
      error = storedText(error);
    }
    // A 4xx other than 429 (a wrong URL, a revoked token, a malformed event) will answer the same
    // again: given up at once, not retried.
    const last = attempt === policy.attempts || !isRetryable(status);
    await recordDelivery({ incidentId, event, url, attempt, status: last ? "gave_up" : "failed", httpStatus: status || null, error }).catch(() => {});
    if (last) {
      await timeline(incidentId, { event, url, status: "gave_up", attempt, error });
      return;
    }
    await new Promise<void>((r) => setTimeout(r, wait ?? backoffMs(attempt, policy)).unref());
  }
}

async function timeline(incidentId: number, data: Record<string, unknown>): Promise<void> {
  await withConsole((sql) => addIncidentEvent(sql, { incidentId, kind: "notification", data })).catch((err) =>
    console.error("[incidents] could not record a notification:", err),
  );
}

const inFlight = new Set<Promise<void>>();

/** Queue the notification to every configured webhook and return at once. */
export function notify(event: NotifyEvent, incident: IncidentRow, extra: NotifyExtra = {}): void {
  const e = env();
  const policy: RetryPolicy = {
    attempts: e.INCIDENT_WEBHOOK_ATTEMPTS,
    baseMs: e.INCIDENT_WEBHOOK_BACKOFF_MS,
    capMs: Math.max(60_000, e.INCIDENT_WEBHOOK_BACKOFF_MS),
  };
  const consoleUrl = e.CONSOLE_PUBLIC_URL || consolePublicUrl();
  const sends: Array<[string, unknown]> = [];
  if (e.INCIDENT_WEBHOOK_URLS.length) {
    const body = payloadFor(event, incident, e.INCIDENT_WEBHOOK_FORMAT, consoleUrl, Date.now(), extra);
    for (const url of e.INCIDENT_WEBHOOK_URLS) sends.push([url, body]);
  }
  // PagerDuty hears the alert's life (trigger, acknowledge, resolve); what automation did is in the
  // webhooks and on the incident page, and rides along in the escalation's summary.
  if (e.PAGERDUTY_ROUTING_KEY && event !== "automation") {
    sends.push([e.PAGERDUTY_EVENTS_URL ?? PAGERDUTY_EVENTS_URL, pagerDutyEventFor(event, incident, e.PAGERDUTY_ROUTING_KEY, consoleUrl, Date.now(), extra)]);
  }
  for (const [url, body] of sends) {
    const p = deliver(url, body, incident.id, event, policy).catch((err) => console.error("[incidents] notification failed:", err));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
}

/** For tests and shutdown: wait until queued notifications are done. */
export async function drainNotifications(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}
