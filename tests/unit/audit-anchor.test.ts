import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import {
  anchorFilePath,
  appendAnchorLine,
  postAnchorWebhook,
  readLatestAnchor,
  readLatestAnchorCached,
  recordAnchor,
  startAnchoring,
  stopAnchoring,
} from "@/lib/recovery/audit/anchors";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-anchor-"));
});
afterEach(() => {
  stopAnchoring();
  fs.rmSync(dir, { recursive: true, force: true });
});

const h = (c: string) => c.repeat(64);
const line = (seq: number, hash: string, anchoredAt: string) => ({ seq, hash, at: anchoredAt, anchoredAt, source: "test" });

describe("audit anchors", () => {
  it("defaults to <DATA_DIR>/audit-anchors.ndjson and honours AUDIT_ANCHOR_FILE", () => {
    expect(anchorFilePath(parseEnv({ DATA_DIR: "/srv/rc" }), "/x")).toBe("/srv/rc/audit-anchors.ndjson");
    expect(anchorFilePath(parseEnv({ DATA_DIR: ".data" }), "/x")).toBe("/x/.data/audit-anchors.ndjson");
    expect(anchorFilePath(parseEnv({ AUDIT_ANCHOR_FILE: "/var/log/anchors.ndjson" }), "/x")).toBe("/var/log/anchors.ndjson");
  });

  it("appends lines and reads back the anchor with the highest seq, skipping torn or foreign lines", async () => {
    const file = path.join(dir, "nested", "anchors.ndjson");
    expect(await readLatestAnchor(file)).toMatchObject({ anchor: null, count: 0 });
    await appendAnchorLine(file, line(10, h("a"), "2026-01-03T10:00:00.000Z"));
    await appendAnchorLine(file, line(25, h("b"), "2026-01-03T10:15:00.000Z"));
    // Another instance anchoring an older head later, a torn write, and a stray line.
    await appendAnchorLine(file, line(20, h("c"), "2026-01-03T10:16:00.000Z"));
    fs.appendFileSync(file, '{"seq":30,"hash":"ab\n{"hello":"world"}\n');
    const latest = await readLatestAnchor(file);
    expect(latest).toMatchObject({ anchor: { seq: 25, hash: h("b") }, count: 3, skipped: 2 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // An export taken at 10:10 is checked against the anchors that existed then.
    expect((await readLatestAnchor(file, { notAfter: "2026-01-03T10:10:00.000Z" })).anchor).toMatchObject({ seq: 10 });
  });

  it("reads the latest anchor of one chain from a sink shared with another (issue 11 point 3)", async () => {
    const file = path.join(dir, "shared.ndjson");
    const prod = { chain: h("1"), genesisId: "00000000-0000-4000-8000-000000000001" };
    const staging = { chain: h("2"), genesisId: "00000000-0000-4000-8000-000000000002" };
    await appendAnchorLine(file, { ...line(10, h("a"), "2026-01-03T10:00:00.000Z"), ...prod });
    await appendAnchorLine(file, { ...line(900, h("b"), "2026-01-03T10:01:00.000Z"), ...staging });
    expect(await readLatestAnchor(file, { chain: prod.chain })).toMatchObject({ anchor: { seq: 10, ...prod }, count: 1 });
    expect(await readLatestAnchor(file, { chain: staging.chain })).toMatchObject({ anchor: { seq: 900 }, count: 1 });
    expect((await readLatestAnchorCached(file, prod.chain)).anchor).toMatchObject({ seq: 10 });
    expect((await readLatestAnchorCached(file, staging.chain)).anchor).toMatchObject({ seq: 900 });
  });

  it("serves the audit page's read from a cache that a new anchor invalidates", async () => {
    const file = path.join(dir, "cached.ndjson");
    expect((await readLatestAnchorCached(file)).anchor).toBeNull();
    await appendAnchorLine(file, line(3, h("a"), "2026-01-03T10:00:00.000Z"));
    expect((await readLatestAnchorCached(file)).anchor).toMatchObject({ seq: 3 });
    await appendAnchorLine(file, line(4, h("b"), "2026-01-03T10:15:00.000Z"));
    expect((await readLatestAnchorCached(file)).anchor).toMatchObject({ seq: 4 });
  });

  it("posts an anchor to the webhook, and gives up on one that does not answer without throwing", async () => {
    const received: { body: unknown; auth: string | undefined }[] = [];
    const server = http.createServer((req, res) => {
      if (req.url === "/hang") return; // never answers
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ body: JSON.parse(body), auth: req.headers.authorization });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const file = path.join(dir, "a.ndjson");
      const rec = await recordAnchor(
        { seq: 7, hash: h("d"), at: "2026-01-03T10:00:00.000Z" },
        { source: "test", file, e: parseEnv({ AUDIT_ANCHOR_WEBHOOK_URL: `${base}/anchor`, AUDIT_ANCHOR_WEBHOOK_TOKEN: "tok" }) },
      );
      expect(await rec.webhook).toBe(true);
      expect(received).toEqual([{ body: expect.objectContaining({ type: "recovery-console.audit-anchor", seq: 7, hash: h("d") }), auth: "Bearer tok" }]);
      expect((await readLatestAnchor(file)).anchor).toMatchObject({ seq: 7 });

      const started = Date.now();
      expect(await postAnchorWebhook(`${base}/hang`, line(8, h("e"), "2026-01-03T10:00:00.000Z"), undefined, 200)).toBe(false);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("starts the periodic anchoring once per process, and not at all when AUDIT_ANCHOR_SECONDS=0", () => {
    expect(startAnchoring(parseEnv({ AUDIT_ANCHOR_SECONDS: "0" }))).toBe(false);
    expect(startAnchoring(parseEnv({ AUDIT_ANCHOR_SECONDS: "900" }))).toBe(true);
    expect(startAnchoring(parseEnv({ AUDIT_ANCHOR_SECONDS: "900" }))).toBe(false);
  });
});
