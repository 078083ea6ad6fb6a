/**
 * Incident notifications over real HTTP (lib/recovery/incidents/notify.ts): a local receiver on
 * 127.0.0.1 for each format (Slack-compatible, the console's JSON, PagerDuty Events API v2), and the
 * retry rules (only network errors, 5xx and 429; a 429 waits its Retry-After, bounded). The
 * console store is replaced by a recorder of the delivery rows (no database here).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { IncidentRow } from "@/lib/db/queries/incidents";
import { setEnv } from "../support/env";

const deliveries: Array<{ event: string; attempt: number; status: string; httpStatus: number | null; error?: string | null }> = [];
vi.mock("@/lib/db/queries/incidents", () => ({
  recordDelivery: async (d: (typeof deliveries)[number]) =>
    void deliveries.push({ event: d.event, attempt: d.attempt, status: d.status, httpStatus: d.httpStatus, error: d.error }),
  addIncidentEvent: async () => {},
}));
vi.mock("@/lib/db/client", () => ({ withConsole: async (fn: (sql: unknown) => unknown) => fn({}) }));

const { drainNotifications, notify, retryAfterMs, slackEscape, RETRY_AFTER_CAP_MS } = await import("@/lib/recovery/incidents/notify");

type Received = { at: number; path: string; body: Record<string, unknown> };
let server: http.Server;
let base: string;
let received: Received[] = [];
/** What the receiver answers, in order (the last one repeats). */
let script: Array<{ status: number; headers?: Record<string, string> }> = [{ status: 200 }];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString("utf8")));
    req.on("end", () => {
      received.push({ at: performance.now(), path: req.url ?? "", body: JSON.parse(data) as Record<string, unknown> });
      const answer = script[Math.min(received.length - 1, script.length - 1)]!;
      res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  received = [];
  deliveries.length = 0;
  script = [{ status: 200 }];
  setEnv({
    INCIDENT_WEBHOOK_URLS: undefined,
    INCIDENT_WEBHOOK_FORMAT: undefined,
    PAGERDUTY_ROUTING_KEY: undefined,
    PAGERDUTY_EVENTS_URL: undefined,
    CONSOLE_PUBLIC_URL: undefined,
    AUTH_URL: undefined,
    INCIDENT_WEBHOOK_ATTEMPTS: "4",
    INCIDENT_WEBHOOK_BACKOFF_MS: "1",
  });
});

function incident(over: Partial<IncidentRow> = {}): IncidentRow {
  return {
    id: 42,
    ref: "INC-42",
    scenario: 2,
    title: "Directives stuck <!channel> & circuit open",
    status: "open",
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    detectedAt: new Date().toISOString(),
    level: 1,
    maxLevel: 1,
    checkIds: ["circuit_breaker"],
    okStreak: 0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    commander: null,
    resolvedAt: null,
    checklist: {},
    ...over,
  };
}

describe("Slack-compatible webhook", () => {
  it("escapes &, < and > in the text, and links the incident with AUTH_URL alone", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/slack/T000/B000/secret`, INCIDENT_WEBHOOK_FORMAT: "slack", AUTH_URL: "https://console.example.com" });
    notify("opened", incident());
    await drainNotifications();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/slack/T000/B000/secret");
    expect(received[0]!.body).toEqual({
      text: "INC-42 opened: Directives stuck &lt;!channel&gt; &amp; circuit open (runbook scenario 2) <https://console.example.com/incidents/42|open>",
    });
    expect(deliveries).toEqual([{ event: "opened", attempt: 1, status: "delivered", httpStatus: 200, error: undefined }]);
  });

  it("escapes exactly Slack's three control characters", () => {
    expect(slackEscape("a & b < c > d \"e\" 'f'")).toBe("a &amp; b &lt; c &gt; d \"e\" 'f'");
  });
});

describe("JSON webhook", () => {
  it("carries the incident with its URL from AUTH_URL when CONSOLE_PUBLIC_URL is unset, and the text unescaped", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json`, AUTH_URL: "https://console.example.com/" });
    notify("acknowledged", incident({ acknowledgedBy: "oncall@example.com" }));
    await drainNotifications();
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toMatchObject({
      event: "acknowledged",
      text: "INC-42 acknowledged by oncall@example.com: Directives stuck <!channel> & circuit open",
      incident: { id: 42, ref: "INC-42", url: "https://console.example.com/incidents/42" },
    });
  });

  it("prefers CONSOLE_PUBLIC_URL over AUTH_URL", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json`, AUTH_URL: "https://auth.example.com", CONSOLE_PUBLIC_URL: "https://console.example.com" });
    notify("opened", incident());
    await drainNotifications();
    expect((received[0]!.body.incident as { url: string }).url).toBe("https://console.example.com/incidents/42");
  });
});

describe("PagerDuty Events API v2", () => {
  it("triggers at open and at escalation (critical from level 2), then acknowledges and resolves, all with the incident id as dedup_key", async () => {
    setEnv({ PAGERDUTY_ROUTING_KEY: "R0UT1NGKEY", PAGERDUTY_EVENTS_URL: `${base}/v2/enqueue`, CONSOLE_PUBLIC_URL: "https://console.example.com" });
    script = [{ status: 202 }];
    notify("opened", incident());
    await drainNotifications();
    notify("escalated", incident({ level: 2, maxLevel: 2 }));
    await drainNotifications();
    notify("acknowledged", incident({ level: 2, acknowledgedBy: "oncall@example.com" }));
    await drainNotifications();
    notify("resolved", incident({ status: "resolved", resolvedAt: new Date().toISOString() }));
    await drainNotifications();

    expect(received.map((r) => r.path)).toEqual(["/v2/enqueue", "/v2/enqueue", "/v2/enqueue", "/v2/enqueue"]);
    const [open, escalated, ack, resolve] = received.map((r) => r.body);
    expect(open).toMatchObject({
      routing_key: "R0UT1NGKEY",
      event_action: "trigger",
      dedup_key: "42",
      payload: { severity: "error", source: "console.example.com", summary: expect.stringContaining("INC-42 opened") },
      client_url: "https://console.example.com/incidents/42",
    });
    expect(escalated).toMatchObject({
      event_action: "trigger",
      dedup_key: "42",
      payload: { severity: "critical", summary: expect.stringContaining("L2: engage the on-call engineer") },
    });
    expect(ack).toEqual({ routing_key: "R0UT1NGKEY", dedup_key: "42", event_action: "acknowledge" });
    expect(resolve).toEqual({ routing_key: "R0UT1NGKEY", dedup_key: "42", event_action: "resolve" });
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered", "delivered", "delivered"]);
  });

  it("is sent beside the other webhooks, each in its own format", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json`, PAGERDUTY_ROUTING_KEY: "R0UT1NGKEY", PAGERDUTY_EVENTS_URL: `${base}/v2/enqueue` });
    notify("opened", incident());
    await drainNotifications();
    expect(received.map((r) => r.path).sort()).toEqual(["/json", "/v2/enqueue"]);
  });
});

describe("retries", () => {
  it("does not retry a 4xx other than 429: one attempt, given up", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json` });
    script = [{ status: 400 }, { status: 200 }];
    notify("opened", incident());
    await drainNotifications();
    expect(received).toHaveLength(1);
    expect(deliveries).toEqual([{ event: "opened", attempt: 1, status: "gave_up", httpStatus: 400, error: "HTTP 400" }]);
  });

  it("retries a 5xx until it is delivered", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json` });
    script = [{ status: 503 }, { status: 502 }, { status: 200 }];
    notify("opened", incident());
    await drainNotifications();
    expect(received).toHaveLength(3);
    expect(deliveries.map((d) => [d.attempt, d.status, d.httpStatus])).toEqual([
      [1, "failed", 503],
      [2, "failed", 502],
      [3, "delivered", 200],
    ]);
  });

  it("retries a network error (connection refused) up to the attempts allowed", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    setEnv({ INCIDENT_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook`, INCIDENT_WEBHOOK_ATTEMPTS: "3" });
    notify("opened", incident());
    await drainNotifications();
    expect(deliveries.map((d) => [d.attempt, d.status, d.error])).toEqual([
      [1, "failed", "ECONNREFUSED"],
      [2, "failed", "ECONNREFUSED"],
      [3, "gave_up", "ECONNREFUSED"],
    ]);
  });

  it("waits as a 429's Retry-After says before the next attempt", async () => {
    setEnv({ INCIDENT_WEBHOOK_URLS: `${base}/json` });
    script = [{ status: 429, headers: { "Retry-After": "1" } }, { status: 200 }];
    notify("opened", incident());
    await drainNotifications();
    expect(received).toHaveLength(2);
    // The backoff alone would wait at most 1 ms (INCIDENT_WEBHOOK_BACKOFF_MS=1).
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(950);
    expect(deliveries.map((d) => [d.status, d.httpStatus])).toEqual([
      ["failed", 429],
      ["delivered", 200],
    ]);
  });

  it("bounds Retry-After (seconds or an HTTP date) and ignores an unreadable one", () => {
    const now = Date.parse("2026-12-03T14:00:00Z");
    expect(retryAfterMs("2", RETRY_AFTER_CAP_MS, now)).toBe(2000);
    expect(retryAfterMs("86400", RETRY_AFTER_CAP_MS, now)).toBe(RETRY_AFTER_CAP_MS);
    expect(retryAfterMs("Thu, 03 Dec 2026 14:00:30 GMT", RETRY_AFTER_CAP_MS, now)).toBe(30_000);
    expect(retryAfterMs("Thu, 03 Dec 2026 13:00:00 GMT", RETRY_AFTER_CAP_MS, now)).toBe(0);
    expect(retryAfterMs("soon", RETRY_AFTER_CAP_MS, now)).toBeNull();
    expect(retryAfterMs(null, RETRY_AFTER_CAP_MS, now)).toBeNull();
  });
});
