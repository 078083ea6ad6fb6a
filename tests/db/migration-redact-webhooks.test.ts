/**
 * Migration 0010 rewrites webhook URLs recorded before the console named webhooks by origin and
 * fingerprint: run against rows holding whole URLs (inside a transaction that is rolled back, so
 * the shared store is left as it was), it keeps only the origin and leaves labels alone.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Sql } from "../support/db";

let sql: Sql;
const migration = fs.readFileSync(path.resolve("drizzle/console/0010_redact_webhook_urls.sql"), "utf8").split("--> statement-breakpoint");

beforeAll(() => {
  sql = connect("console");
});
afterAll(async () => {
  await sql.end();
});

class Rollback extends Error {}

describe("migration 0010: redact webhook URLs", () => {
  it("keeps the origin of whole URLs in deliveries and timeline events, and leaves labels alone", async () => {
    const secretUrl = "https://user:pw@hooks.slack.com/services/T0001/B0001/s3cr3tT0k3n?x=1";
    const label = "http://127.0.0.1:9/… (#4cc65201)";
    let seen: { deliveries: string[]; events: string[] } | undefined;
    await sql
      .begin(async (tx) => {
        const [inc] = await tx<{ id: string }[]>`
          insert into console.incidents (scenario, title, started_at, check_ids) values (1, 'migration test', now(), '[]') returning id`;
        const id = inc!.id;
        for (const url of [secretUrl, label]) {
          await tx`insert into console.notification_deliveries (incident_id, event, url, attempt, status) values (${id}, 'opened', ${url}, 1, 'gave_up')`;
          await tx`insert into console.incident_events (incident_id, kind, data) values (${id}, 'notification', ${tx.json({ event: "opened", url, status: "gave_up" })})`;
        }
        for (const statement of migration) await tx.unsafe(statement);
        const deliveries = await tx<{ url: string }[]>`select url from console.notification_deliveries where incident_id = ${id} order by id`;
        const events = await tx<{ url: string }[]>`select data->>'url' as url from console.incident_events where incident_id = ${id} order by id`;
        seen = { deliveries: deliveries.map((d) => d.url), events: events.map((e) => e.url) };
        throw new Rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Rollback)) throw err;
      });
    const expected = ["https://hooks.slack.com/… (#earlier)", label];
    expect(seen).toEqual({ deliveries: expected, events: expected });
  });
});
