import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST } from "@/app/api/heartbeat/route";
import { closeStores } from "@/lib/db/client";
import { eaHeartbeat, type EaHeartbeatDetail } from "@/lib/recovery/health/checks/ea-heartbeat";
import type { CheckReading } from "@/lib/recovery/health/checks/types";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

const TOKEN = "ea-heartbeat-token-for-tests";
let trading: Sql;
let store: Sql;
// Configured in every test (EA_HEARTBEAT_TOKEN set), so the reading carries the heartbeat detail.
const run = async () => (await eaHeartbeat.run(new AbortController().signal)) as CheckReading<EaHeartbeatDetail>;

function beat(body: unknown, token: string | null = TOKEN): Promise<Response> {
  return POST(
    new Request("http://localhost/api/heartbeat", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** Age an instance's last heartbeat, as if it had gone quiet `seconds` ago. */
async function silence(instance: string, seconds: number) {
  await store`update console.ea_heartbeats set last_seen_at = now() - make_interval(secs => ${seconds}) where instance = ${instance}`;
}

beforeAll(async () => {
  trading = connect("trading");
  store = connect("console");
  await withEnv({ EA_HEARTBEAT_TOKEN: TOKEN, EA_HEARTBEAT_STALE_SECONDS: "60" });
});
beforeEach(async () => {
  await resetTrading(trading);
  await store`delete from console.ea_heartbeats`;
});
afterAll(async () => {
  await trading.end();
  await store.end();
  await closeStores();
  await withEnv({ EA_HEARTBEAT_TOKEN: undefined, EA_HEARTBEAT_STALE_SECONDS: undefined });
});

describe("POST /api/heartbeat", () => {
  it("records one row per instance and bumps it on every beat", async () => {
    const first = await beat({ instance: "ea-primary", role: "primary", version: "3.2.1" });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ ok: true, instance: "ea-primary", role: "primary", beats: 1 });
    expect((await beat({ instance: "ea-primary", role: "primary" })).status).toBe(200);
    expect((await beat({ instance: "ea-backup", role: "backup" })).status).toBe(200);
    const rows = await store<
      { instance: string; role: string; beats: string; version: string | null }[]
    >`select instance, role, beats, version from console.ea_heartbeats order by instance`;
    expect(rows.map((r) => ({ ...r, beats: Number(r.beats) }))).toEqual([
      { instance: "ea-backup", role: "backup", beats: 1, version: null },
      { instance: "ea-primary", role: "primary", beats: 2, version: "3.2.1" },
    ]);
  });

  it("refuses a missing or wrong token with 401, and writes nothing", async () => {
    const none = await beat({ instance: "ea-primary", role: "primary" }, null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await beat({ instance: "ea-primary", role: "primary" }, "not-the-token-at-all")).status).toBe(401);
    expect(await store`select 1 from console.ea_heartbeats`).toHaveLength(0);
  });

  it("refuses an invalid body with 400 naming the field, and an oversized one with 413", async () => {
    const bad = await beat({ instance: "ea primary!", role: "leader" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.fields).toMatchObject({ instance: expect.any(String), role: expect.any(String) });
    expect((await beat("not json")).status).toBe(400);
    expect((await beat({ instance: "ea-primary", role: "primary", version: "x".repeat(5000) })).status).toBe(413);
  });

  it.each([
    ["a lone surrogate", '{"instance":"ea-primary","role":"primary","version":"3.2\\ud800"}'],
    ["a NUL", '{"instance":"ea-primary","role":"primary","version":"3.2\\u0000"}'],
  ])("refuses a version holding %s with 400 naming the field, and writes nothing", async (_name, body) => {
    const res = await beat(body);
    expect(res.status).toBe(400);
    expect((await res.json()).error.fields).toEqual({ version: expect.stringMatching(/cannot be stored/) });
    expect(await store`select 1 from console.ea_heartbeats`).toHaveLength(0);
  });

  it("is 404 when heartbeats are not configured", async () => {
    await withEnv({ EA_HEARTBEAT_TOKEN: undefined });
    try {
      expect((await beat({ instance: "ea-primary", role: "primary" })).status).toBe(404);
    } finally {
      await withEnv({ EA_HEARTBEAT_TOKEN: TOKEN });
    }
  });
});

describe("ea_heartbeat (runbook scenario 5)", () => {
  it("is critical before any EA has beaten", async () => {
    expect(await run()).toMatchObject({ status: "critical", value: null, summary: "No heartbeat ever received from an EA" });
  });

  it("is ok while the primary is fresh, warn when only the backup is, critical when none is", async () => {
    await beat({ instance: "ea-primary", role: "primary" });
    await beat({ instance: "ea-backup", role: "backup" });
    const ok = await run();
    expect(ok).toMatchObject({ status: "ok", unit: "s" });
    expect(ok.value).toBeLessThanOrEqual(1);

    // Straddle the 60 s threshold: 59 s is still fresh, 61 s is not.
    await silence("ea-primary", 59);
    expect((await run()).status).toBe("ok");
    await silence("ea-primary", 61);
    const warn = await run();
    expect(warn.status).toBe("warn");
    expect(warn.summary).toMatch(/^Only the backup is alive: primary ea-primary silent \(61 s ago\); backup ea-backup fresh/);

    await silence("ea-backup", 120);
    const critical = await run();
    expect(critical).toMatchObject({ status: "critical", value: 61 });
    expect(critical.summary).toMatch(/^No EA heartbeat for 61 s/);
    expect(critical.detail.instances).toMatchObject([
      { instance: "ea-primary", role: "primary", fresh: false },
      { instance: "ea-backup", role: "backup", fresh: false },
    ]);

    // A beat from the primary brings it back.
    await beat({ instance: "ea-primary", role: "primary" });
    expect((await run()).status).toBe("ok");
  });

  it("shows the age of the newest execution event, as the database computes it", async () => {
    await beat({ instance: "ea-primary", role: "primary" });
    await trading`insert into execution_events (status, created_at) values ('filled', now() - interval '90 seconds'), ('failed', now() - interval '30 seconds')`;
    const reading = await run();
    const [direct] = await trading<{ age: number }[]>`select extract(epoch from now() - max(created_at))::float8 as age from execution_events`;
    const age = reading.detail.newestExecutionEventAgeSeconds as number;
    expect(age).toBeGreaterThanOrEqual(30);
    expect(Math.abs(age - direct!.age)).toBeLessThan(1);
    expect(reading.summary).toMatch(/newest execution event 30 s ago$/);
  });

  it("is unknown with 'not configured' and no error without EA_HEARTBEAT_TOKEN", async () => {
    await withEnv({ EA_HEARTBEAT_TOKEN: undefined });
    try {
      const reading = await run();
      expect(reading).toMatchObject({ status: "unknown", summary: "not configured", value: null });
      expect(reading.error).toBeUndefined();
    } finally {
      await withEnv({ EA_HEARTBEAT_TOKEN: TOKEN });
    }
  });
});

describe("start-up warm-up (CHECK_WARMUP_SECONDS, issue 18 point 6)", () => {
  afterAll(() => withEnv({ CHECK_WARMUP_SECONDS: "0" }));

  it("is pending, not critical, while no heartbeat has arrived since the process started; critical after the window", async () => {
    await withEnv({ CHECK_WARMUP_SECONDS: "3600" });
    expect(await run()).toMatchObject({
      status: "unknown",
      pending: { until: expect.any(String) },
      summary: expect.stringMatching(/^Starting up: waiting for the first EA heartbeat/),
    });
    // A heartbeat from before the restart (older than this process) is no data since the start.
    expect((await beat({ instance: "ea-primary", role: "primary" })).status).toBe(200);
    await silence("ea-primary", Math.ceil(process.uptime()) + 120);
    expect(await run()).toMatchObject({ status: "unknown", pending: expect.anything() });
    // The window over: the silence is real.
    await withEnv({ CHECK_WARMUP_SECONDS: "0" });
    const after = await run();
    expect(after.status).toBe("critical");
    expect(after).not.toHaveProperty("pending");
  });

  it("reads normally as soon as a heartbeat arrives", async () => {
    await withEnv({ CHECK_WARMUP_SECONDS: "3600" });
    expect((await beat({ instance: "ea-primary", role: "primary" })).status).toBe(200);
    const r = await run();
    expect(r.status).toBe("ok");
    expect(r).not.toHaveProperty("pending");
  });
});
