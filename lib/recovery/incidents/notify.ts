import "server-only";
/**
 * Incident notifications to INCIDENT_WEBHOOK_URLS on open, acknowledge, escalate and resolve.
 * Sent in the background with retries, exponential backoff and full jitter, never blocking the
 * evaluator; every attempt is recorded (notification_deliveries), and the final result lands in
 * the incident's timeline, so a failing webhook shows on the incident page.
 */
import { createHmac } from "node:crypto";
import { env } from "../../env.ts";
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

export function payloadFor(event: NotifyEvent, incident: IncidentRow, format: "json" | "slack", consoleUrl?: string, now = Date.now(), extra: NotifyExtra = {}) {
  const elapsed = formatDuration(now - Date.parse(incident.startedAt));
  const link = consoleUrl ? `${consoleUrl.replace(/\/+$/, "")}/incidents/${incident.id}` : undefined;
  const text = {
    opened: `${incident.ref} opened: ${incident.title} (runbook scenario ${incident.scenario})`,
    acknowledged: `${incident.ref} acknowledged by ${incident.acknowledgedBy ?? "on-call"}: ${incident.title}`,
    escalated: `${incident.ref} escalated to level ${incident.level} after ${elapsed}: ${LEVEL_ASKS[incident.level]}${extra.automation ? `. ${extra.automation}` : ""}`,
    resolved: `${incident.ref} resolved after ${elapsed}: ${incident.title}`,
    automation: `${incident.ref}: ${extra.automation ?? "automation acted"}`,
  }[event];
  if (format === "slack") return { text: link ? `${text} <${link}|open>` : text };
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
  const fingerprint = createHmac("sha256", secret ?? "recovery-console:webhook").update(url).digest("hex").slice(0, 8);
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
    try {
      const res = await fetch(target, {
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
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // fetch says only "fetch failed"; its cause says why (ECONNREFUSED, bad port, …).
      error = (err as Error).name === "TimeoutError" ? `no answer within ${TIMEOUT_MS} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      // Some errors quote the URL they failed on ("Failed to parse URL from …").
      error = error.split(target).join(url);
      // An error text is stored (deliveries, the timeline): exactly as the database will keep it.
      error = storedText(error);
    }
    const last = attempt === policy.attempts;
    await recordDelivery({ incidentId, event, url, attempt, status: last ? "gave_up" : "failed", httpStatus: status || null, error }).catch(() => {});
    if (last) {
      await timeline(incidentId, { event, url, status: "gave_up", attempt, error });
      return;
    }
    await new Promise<void>((r) => setTimeout(r, backoffMs(attempt, policy)).unref());
  }
}

async function timeline(incidentId: number, data: Record<string, unknown>): Promise<void> {
  await withConsole((sql) => addIncidentEvent(sql, { incidentId, kind: "notification", data })).catch((err) => console.error("[incidents] could not record a notification:", err));
}

const inFlight = new Set<Promise<void>>();

/** Queue the notification to every configured webhook and return at once. */
export function notify(event: NotifyEvent, incident: IncidentRow, extra: NotifyExtra = {}): void {
  const e = env();
  const policy: RetryPolicy = { attempts: e.INCIDENT_WEBHOOK_ATTEMPTS, baseMs: e.INCIDENT_WEBHOOK_BACKOFF_MS, capMs: Math.max(60_000, e.INCIDENT_WEBHOOK_BACKOFF_MS) };
  if (!e.INCIDENT_WEBHOOK_URLS.length) return;
  const body = payloadFor(event, incident, e.INCIDENT_WEBHOOK_FORMAT, e.CONSOLE_PUBLIC_URL, Date.now(), extra);
  for (const url of e.INCIDENT_WEBHOOK_URLS) {
    const p = deliver(url, body, incident.id, event, policy).catch((err) => console.error("[incidents] notification failed:", err));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
}

/** For tests and shutdown: wait until queued notifications are done. */
export async function drainNotifications(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}
