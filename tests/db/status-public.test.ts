/**
 * A public status for stakeholders (issue 18 point 16): with STATUS_PUBLIC=1, GET /api/status and
 * GET /api/status/feed answer without any credentials and carry no internals (no check ids, SQL,
 * people's addresses, hosts, private notes); the feed parses as Atom (RFC 4287) with the status
 * changes and the public notes. Off by default: then credentials are required.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml2js, type Element } from "xml-js";
import { GET as getFeed } from "@/app/api/status/feed/route";
import { GET as getStatus } from "@/app/api/status/route";
import { closeStores } from "@/lib/db/client";
import { resetHealthMonitor } from "@/lib/recovery/health/snapshot";
import { connect, withEnv, type Sql } from "../support/db";

let store: Sql;
const SECRET_SQL = "SELECT pg_terminate_backend(4242) FROM pg_stat_activity";
const PRIVATE_NOTE = "dba@corp.example says the replica on db-7.internal is lagging";
const PUBLIC_NOTE = "Orders are being re-sent; next update in 15 minutes.";

/** Everything a stakeholder must not see, whatever the state of the checks. */
const INTERNALS = [
  /signals_recent|directives_stale_pending|circuit_breaker|executions_failed|db_connections|idle_transactions|worker_rate_limit|ea_heartbeat/,
  /select |pg_/i,
  /@/,
  /db-7\.internal|127\.0\.0\.1/,
  /dba@|oncall@/,
];

const anonymous = (path: string) => new Request(`http://localhost${path}`);

beforeAll(async () => {
  store = connect("console");
  await store`delete from console.incident_events`;
  await store`delete from console.notification_deliveries`;
  await store`delete from console.incidents`;
  const [inc] = await store<[{ id: string }]>`
    insert into console.incidents (scenario, title, status, started_at, level, max_level, check_ids, acknowledged_by, acknowledged_at)
    values (2, 'Trade Director Not Processing Directives', 'open', now() - interval '20 minutes', 2, 2, '["directives_stale_pending","circuit_breaker"]', 'oncall@corp.example', now() - interval '18 minutes')
    returning id`;
  const id = inc.id;
  const ev = (kind: string, minutesAgo: number, data: unknown, isPublic = false, actor: string | null = null) =>
    store`insert into console.incident_events (incident_id, at, kind, actor, public, data) values (${id}, now() - make_interval(mins => ${minutesAgo}), ${kind}, ${actor}, ${isPublic}, ${store.json(data as never)})`;
  await ev("opened", 20, { trigger: { checkId: "circuit_breaker", summary: SECRET_SQL }, checkIds: ["circuit_breaker"] });
  await ev("transition", 20, { checkId: "circuit_breaker", summary: SECRET_SQL });
  await ev("acknowledged", 18, { message: "I'm on it" }, false, "oncall@corp.example");
  await ev("note", 10, { text: PRIVATE_NOTE }, false, "dba@corp.example");
  await ev("level", 5, { from: 1, to: 2 });
  await ev("note", 2, { text: PUBLIC_NOTE }, true, "oncall@corp.example");
  await closeStores();
  resetHealthMonitor();
});

afterAll(async () => {
  await withEnv({ STATUS_PUBLIC: undefined, CONSOLE_API_TOKEN: undefined });
  await store`delete from console.incident_events`;
  await store`delete from console.incidents`;
  await store.end();
  await closeStores();
});

describe("STATUS_PUBLIC off (the default)", () => {
  it("refuses the status and its feed without valid credentials", async () => {
    await withEnv({ STATUS_PUBLIC: undefined, CONSOLE_API_TOKEN: "console-api-token-for-tests" });
    const bad = (path: string) => new Request(`http://localhost${path}`, { headers: { authorization: "Bearer not-the-token-not-the-token" } });
    for (const res of [await getStatus(bad("/api/status")), await getFeed(bad("/api/status/feed"))]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    }
  });
});

describe("STATUS_PUBLIC=1", () => {
  it("answers /api/status without credentials, with the reduced status and the public note only", async () => {
    await withEnv({ STATUS_PUBLIC: "1" });
    const res = await getStatus(anonymous("/api/status"));
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { overall: { headline: string }; areas: unknown[]; incident: { level: number; publicNotes: { text: string }[] } };
    expect(body.areas.length).toBeGreaterThan(0);
    expect(body.incident).toMatchObject({ level: 2, publicNotes: [{ text: PUBLIC_NOTE }] });
    for (const re of INTERNALS) expect(text, String(re)).not.toMatch(re);
    expect(text).not.toContain(PRIVATE_NOTE);
  });

  it("serves an Atom feed of the status changes and public notes, without internals", async () => {
    await withEnv({ STATUS_PUBLIC: "1" });
    const res = await getFeed(anonymous("/api/status/feed"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const xml = await res.text();
    for (const re of INTERNALS) expect(xml, String(re)).not.toMatch(re);
    expect(xml).not.toContain("lagging");

    // Parses as XML, and is Atom: <feed xmlns="http://www.w3.org/2005/Atom"> with id, title,
    // updated, and entries that each have id, title, updated (RFC 4287 §4.1.1, §4.1.2).
    const doc = xml2js(xml, { compact: false }) as Element;
    const feed = doc.elements!.find((e) => e.type === "element")!;
    expect(feed.name).toBe("feed");
    expect(feed.attributes?.xmlns).toBe("http://www.w3.org/2005/Atom");
    const child = (el: Element, name: string) => el.elements?.find((e) => e.name === name);
    const textOf = (el: Element | undefined) => el?.elements?.map((t) => t.text ?? t.cdata ?? "").join("") ?? "";
    for (const name of ["id", "title", "updated"]) expect(textOf(child(feed, name)), name).not.toBe("");
    const entries = feed.elements!.filter((e) => e.name === "entry");
    for (const e of entries) for (const name of ["id", "title", "updated"]) expect(textOf(child(e, name)), `entry ${name}`).not.toBe("");
    // Newest first: the public note, the escalation, the opening. Ids are unique.
    expect(entries.map((e) => textOf(child(e, "title")))).toEqual([
      "Update: orders are not being processed",
      "Escalated to level 2: orders are not being processed",
      "Incident: orders are not being processed",
    ]);
    expect(textOf(child(entries[0]!, "content"))).toBe(PUBLIC_NOTE);
    expect(new Set(entries.map((e) => textOf(child(e, "id")))).size).toBe(entries.length);
    expect(textOf(child(feed, "updated"))).toBe(textOf(child(entries[0]!, "updated")));
  });
});
