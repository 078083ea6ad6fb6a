/**
 * Tampering is caught. Each case copies a scratch console store holding a 10-entry chain written by
 * appendAudit, then tampers with it as a DBA with superuser rights would: disabling the
 * append-only trigger. The in-process verifier and the real `npm run audit:verify` script (a
 * child process against that database) must both name the first broken seq and the kind.
 */
import { runScript, type ScriptResult } from "../../scripts/lib/run-script";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { recordAnchor } from "@/lib/recovery/audit/anchors";
import { buildBody, hashEntry, type AuditRecord } from "@/lib/recovery/audit/hash";
import { verifyStoredChain } from "@/lib/recovery/audit/verify-store";
import { exportAudit } from "@/lib/recovery/audit/export";
import { inject } from "vitest";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

const actor = { id: "u-1", email: "oncall@example.com", role: "oncall" };
let base: Scratch;
let chain: AuditRecord[];
let tmp: string;
const scratches: Scratch[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-tamper-"));
  base = await createScratchDb("tamper_base");
  await switchConsoleStore(base.url);
  chain = [];
  for (let i = 1; i <= 10; i++) {
    chain.push(await appendAudit({ actor, action: i % 2 ? "directives.cancel_stale" : "circuit.reset", outcome: "succeeded", reason: `entry ${i}`, params: { i } }));
  }
  // A template must have no connections left.
  await switchConsoleStore(undefined);
}, 60_000);

afterAll(async () => {
  await switchConsoleStore(undefined);
  for (const s of scratches) await s.drop();
  await base.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the clean chain, and a superuser connection to it. */
async function copy(label: string): Promise<{ db: Scratch; su: postgres.Sql; anchors: string }> {
  const db = await createScratchDb(label, { template: base.name });
  scratches.push(db);
  // The admin user of the test server is a superuser, as a DBA's would be.
  const u = new URL(inject("adminUrl"));
  u.pathname = `/${db.name}`;
  return { db, su: postgres(u.toString(), { max: 1, onnotice: () => {} }), anchors: path.join(tmp, `${label}-anchors.ndjson`) };
}

async function tamper(su: postgres.Sql, fn: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<void> {
  await su.begin(async (tx) => {
    await tx`alter table console.audit_log disable trigger audit_log_no_update_delete`;
    await fn(tx);
    await tx`alter table console.audit_log enable trigger audit_log_no_update_delete`;
  });
  await su.end();
}

async function verifyIn(db: Scratch, anchors: string) {
  await switchConsoleStore(db.url);
  try {
    return (await verifyStoredChain({ anchorFile: anchors })).result;
  } finally {
    await switchConsoleStore(undefined);
  }
}

/** Run the real `npm run audit:verify` against a database. */
function cli(args: string[], env: Record<string, string>): Promise<ScriptResult> {
  return runScript("scripts/audit-verify.ts", args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmp, DATA_DIR: tmp, NODE_ENV: "test", ...env } });
}

const dbEnv = (db: Scratch, anchors: string) => ({ TRADING_DATABASE_URL: db.url, CONSOLE_DATABASE_URL: db.url, AUDIT_ANCHOR_FILE: anchors });

describe("tamper evidence", () => {
  it("verifies the untouched chain: the script prints OK with the head, records the verification and anchors on request", async () => {
    const { db, su, anchors } = await copy("clean");
    await su.end();
    const head = chain.at(-1)!;
    const run = await cli(["--anchor"], dbEnv(db, anchors));
    expect(run.stderr).not.toMatch(/warning/);
    expect(run.stdout).toBe(`OK: 10 entries, head 10 ${head.hash}\n`);
    expect(run.code).toBe(0);
    // The verification is itself an entry (by the CLI's OS user), and the verified head is anchored.
    const check = postgres(db.url, { max: 1, onnotice: () => {} });
    const [entry] = await check<{ action: string; outcome: string; actor_email: string; detail: { via: string; entries: number } }[]>`
      select action, outcome, actor_email, detail from console.audit_log where seq = 11`;
    await check.end();
    expect(entry).toMatchObject({ action: "audit.verify", outcome: "succeeded", actor_email: `cli:${os.userInfo().username}`, detail: { via: "cli", entries: 10 } });
    const lines = fs.readFileSync(anchors, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ seq: 10, hash: head.hash, at: head.at })]);
  });

  it("detects a modified row", async () => {
    const { db, su, anchors } = await copy("modified");
    await tamper(su, (tx) => tx`update console.audit_log set reason = 'nothing to see here' where seq = 4`);
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, kind: "modified", brokenSeq: 4 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: first broken seq 4 \(modified\)/);
  });

  it("detects a deleted middle row", async () => {
    const { db, su, anchors } = await copy("missing");
    await tamper(su, (tx) => tx`delete from console.audit_log where seq = 6`);
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, kind: "missing", brokenSeq: 6 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: first broken seq 6 \(missing\)/);
  });

  it("detects an inserted row, even one whose own hash is valid", async () => {
    const { db, su, anchors } = await copy("inserted");
    // Make room at seq 5 and splice in a forged entry that hashes correctly over a made-up past.
    const forged = buildBody({ actor, action: "users.add", outcome: "succeeded", reason: "backdated", params: { email: "mallory@example.com" } }, 5, crypto.randomUUID(), new Date(chain[4]!.at));
    const forgedPrev = "f".repeat(64);
    await tamper(su, async (tx) => {
      for (let seq = 10; seq >= 5; seq--) await tx`update console.audit_log set seq = seq + 1 where seq = ${seq}`;
      await tx`
        insert into console.audit_log (seq, id, at, actor_id, actor_email, actor_role, action, phase, intent_seq, outcome, reason, incident_ref, params, detail, request, prev_hash, hash)
        values (5, ${forged.id}, ${forged.at}, ${forged.actorId}, ${forged.actorEmail}, ${forged.actorRole}, ${forged.action}, ${forged.phase}, null, ${forged.outcome},
                ${forged.reason}, null, ${tx.json(forged.params as never)}, null, null, ${forgedPrev}, ${hashEntry(forgedPrev, forged)})`;
    });
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, kind: "inserted", brokenSeq: 5 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: first broken seq 5 \(inserted\)/);
  });

  it("detects a deleted tail after an anchor, which the chain alone cannot show", async () => {
    const { db, su, anchors } = await copy("truncated");
    const head = chain.at(-1)!;
    await recordAnchor(head, { source: "test", file: anchors });
    await tamper(su, (tx) => tx`delete from console.audit_log where seq >= 9`);
    // Without the anchor the shortened chain is internally consistent...
    expect(await verifyIn(db, path.join(tmp, "no-anchors.ndjson"))).toMatchObject({ ok: true, entries: 8 });
    // ...with it, the deleted tail shows.
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 9 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: first broken seq 9 \(truncated\)/);
  });

  it("detects a history rewritten consistently by a superuser only through the anchor", async () => {
    const { db, su, anchors } = await copy("rewritten");
    await recordAnchor(chain.at(-1)!, { source: "test", file: anchors });
    // Change entry 3 and recompute every hash after it: a chain that verifies on its own.
    await tamper(su, async (tx) => {
      let prev = chain[1]!.hash;
      for (const r of chain.slice(2)) {
        const { hash: _h, prevHash: _p, ...body } = r;
        const changed = r.seq === 3 ? { ...body, reason: "rewritten history" } : body;
        const hash = hashEntry(prev, changed);
        await tx`update console.audit_log set reason = ${changed.reason}, prev_hash = ${prev}, hash = ${hash} where seq = ${r.seq}`;
        prev = hash;
      }
    });
    expect(await verifyIn(db, path.join(tmp, "no-anchors.ndjson"))).toMatchObject({ ok: true, entries: 10 });
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, kind: "truncated", brokenSeq: 10 });
  });

  it("verifies an exported file offline, and names the seq of a change made to the file", async () => {
    const { db, su, anchors } = await copy("file");
    await su.end();
    await switchConsoleStore(db.url);
    let text: string;
    try {
      text = await (await exportAudit({ actor, request: { requestId: "r" }, filters: {}, format: "ndjson" })).text();
    } finally {
      await switchConsoleStore(undefined);
    }
    const good = path.join(tmp, "export.ndjson");
    fs.writeFileSync(good, text);
    const ok = await cli(["--file", good], {});
    expect(ok.stdout).toBe(`OK: 10 entries, head 10 ${chain.at(-1)!.hash}\n`);
    expect(ok.code).toBe(0);

    const lines = text.trimEnd().split("\n");
    const bad = path.join(tmp, "export-tampered.ndjson");
    fs.writeFileSync(bad, lines.map((l, i) => (i === 7 ? l.replace('"reason":"entry 7"', '"reason":"entry seven"') : l)).join("\n") + "\n");
    const run = await cli(["--file", bad, "--anchors", anchors], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: first broken seq 7 \(modified\)/);
  });
});
