/**
 * Tampering is caught. Each case copies a scratch console store holding a 10-entry chain written by
 * appendAudit, then tampers with it as a DBA with superuser rights would: disabling the
 * append-only trigger. The in-process verifier and the real `npm run audit:verify` script (a
 * child process against that database) must both name every broken seq and its kind, and the
 * periodic anchorer must refuse to anchor what does not verify (issue 11 points 2 and 3).
 */
import { runScript, type ScriptResult } from "../../scripts/lib/run-script";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { anchoringStatus, anchorVerifiedHead, recordAnchor, stopAnchoring } from "@/lib/recovery/audit/anchors";
import { renderMetrics } from "@/lib/recovery/health/metrics";
import { toAuditRecord } from "@/lib/db/audit-columns";
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
    chain.push(
      await appendAudit({ actor, action: i % 2 ? "directives.cancel_stale" : "circuit.reset", outcome: "succeeded", reason: `entry ${i}`, params: { i } }),
    );
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
  return runScript("scripts/audit-verify.ts", args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmp, DATA_DIR: tmp, NODE_ENV: "test", ...env },
  });
}

const dbEnv = (db: Scratch, anchors: string) => ({ TRADING_DATABASE_URL: db.url, CONSOLE_DATABASE_URL: db.url, AUDIT_ANCHOR_FILE: anchors });

const genesisOf = () => ({ id: chain[0]!.id, hash: chain[0]!.hash });

/** Change entry `seq` and recompute every hash after it, up to the head: a chain that verifies on its own. */
async function rewriteFrom(su: postgres.Sql, seq: number) {
  await tamper(su, async (tx) => {
    const rows = await tx<Record<string, unknown>[]>`select * from console.audit_log where seq >= ${seq} order by seq`;
    const [before] = await tx<{ hash: string }[]>`select hash from console.audit_log where seq = ${seq - 1}`;
    let prev = before?.hash ?? "0".repeat(64);
    for (const r of rows.map(toAuditRecord)) {
      const changed = r.seq === seq ? { ...r, reason: "rewritten history" } : r;
      const hash = hashEntry(prev, changed);
      await tx`update console.audit_log set reason = ${changed.reason}, prev_hash = ${prev}, hash = ${hash} where seq = ${r.seq}`;
      prev = hash;
    }
  });
}

const brokenLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("BROKEN "));

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
    expect(entry).toMatchObject({
      action: "audit.verify",
      outcome: "succeeded",
      actor_email: `cli:${os.userInfo().username}`,
      detail: { via: "cli", entries: 10 },
    });
    const lines = fs
      .readFileSync(anchors, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ seq: 10, hash: head.hash, at: head.at, chain: chain[0]!.hash, genesisId: chain[0]!.id })]);
  });

  it("detects a modified row", async () => {
    const { db, su, anchors } = await copy("modified");
    await tamper(su, (tx) => tx`update console.audit_log set reason = 'nothing to see here' where seq = 4`);
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, breakCount: 1, breaks: [{ kind: "modified", seq: 4 }] });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(brokenLines(run.stdout)).toEqual([expect.stringMatching(/^BROKEN #4 modified: /)]);
    expect(run.stdout).toMatch(/^FAILED: 1 break; first broken seq 4 \(modified\)$/m);
  });

  it("detects a deleted middle row", async () => {
    const { db, su, anchors } = await copy("deleted");
    await tamper(su, (tx) => tx`delete from console.audit_log where seq = 6`);
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, breakCount: 1, breaks: [{ kind: "deleted", seq: 6, through: 6 }] });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: 1 break; first broken seq 6 \(deleted\)$/m);
  });

  it("goes on past the first break: every break is listed, by the verifier and by the script", async () => {
    const { db, su, anchors } = await copy("several");
    await tamper(su, async (tx) => {
      await tx`update console.audit_log set reason = 'edited' where seq = 2`;
      await tx`delete from console.audit_log where seq in (5, 6)`;
      await tx`update console.audit_log set outcome = 'failed' where seq = 9`;
    });
    const result = await verifyIn(db, anchors);
    expect(result.breaks.map((b) => `${b.seq}:${b.kind}`)).toEqual(["2:modified", "5:deleted", "9:modified"]);
    expect(result).toMatchObject({ ok: false, breakCount: 3 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(brokenLines(run.stdout)).toEqual([
      expect.stringMatching(/^BROKEN #2 modified: /),
      expect.stringMatching(/^BROKEN #5\.\.6 deleted: /),
      expect.stringMatching(/^BROKEN #9 modified: /),
    ]);
    expect(run.stdout).toMatch(/^FAILED: 3 breaks; first broken seq 2 \(modified\)$/m);
    // The verification entry lists them too (the audit view reads it back).
    const check = postgres(db.url, { max: 1, onnotice: () => {} });
    const [entry] = await check<{ detail: { breakCount: number; breaks: { seq: number; kind: string }[] } }[]>`
      select detail from console.audit_log where action = 'audit.verify' order by seq desc limit 1`;
    await check.end();
    expect(entry!.detail).toMatchObject({
      breakCount: 3,
      breaks: [
        { seq: 2, kind: "modified" },
        { seq: 5, kind: "deleted" },
        { seq: 9, kind: "modified" },
      ],
    });
  });

  it("detects an inserted row, even one whose own hash is valid", async () => {
    const { db, su, anchors } = await copy("inserted");
    // Make room at seq 5 and splice in a forged entry that hashes correctly over a made-up past.
    const forged = buildBody(
      { actor, action: "users.add", outcome: "succeeded", reason: "backdated", params: { email: "mallory@example.com" } },
      5,
      crypto.randomUUID(),
      new Date(chain[4]!.at),
    );
    const forgedPrev = "f".repeat(64);
    await tamper(su, async (tx) => {
      for (let seq = 10; seq >= 5; seq--) await tx`update console.audit_log set seq = seq + 1 where seq = ${seq}`;
      await tx`
        insert into console.audit_log (seq, id, at, actor_id, actor_email, actor_role, action, phase, intent_seq, outcome, reason, incident_ref, params, detail, request, prev_hash, hash)
        values (5, ${forged.id}, ${forged.at}, ${forged.actorId}, ${forged.actorEmail}, ${forged.actorRole}, ${forged.action}, ${forged.phase}, null, ${forged.outcome},
                ${forged.reason}, null, ${tx.json(forged.params as never)}, null, null, ${forgedPrev}, ${hashEntry(forgedPrev, forged)})`;
    });
    // The splice, then every renumbered entry (its seq is hashed).
    const result = await verifyIn(db, anchors);
    expect(result.breaks.map((b) => `${b.seq}:${b.kind}`)).toEqual([
      "5:inserted",
      "6:modified",
      "7:modified",
      "8:modified",
      "9:modified",
      "10:modified",
      "11:modified",
    ]);
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: 7 breaks; first broken seq 5 \(inserted\)$/m);
  });

  it("detects a deleted tail after an anchor, which the chain alone cannot show", async () => {
    const { db, su, anchors } = await copy("truncated");
    const head = chain.at(-1)!;
    await recordAnchor(head, { source: "test", file: anchors, genesis: genesisOf() });
    await tamper(su, (tx) => tx`delete from console.audit_log where seq >= 9`);
    // Without the anchor the shortened chain is internally consistent...
    expect(await verifyIn(db, path.join(tmp, "no-anchors.ndjson"))).toMatchObject({ ok: true, entries: 8 });
    // ...with it, the deleted tail shows.
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: false, breaks: [{ kind: "truncated", seq: 9, through: 10 }] });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED: 1 break; first broken seq 9 \(truncated\)$/m);
  });

  it("checks every anchor: a history rewritten consistently by a superuser is named at the anchors from the rewritten entry on", async () => {
    const { db, su, anchors } = await copy("rewritten");
    for (const r of [chain[1]!, chain[2]!, chain[6]!, chain[9]!]) await recordAnchor(r, { source: "test", file: anchors, genesis: genesisOf() });
    await rewriteFrom(su, 3);
    expect(await verifyIn(db, path.join(tmp, "no-anchors.ndjson"))).toMatchObject({ ok: true, entries: 10 });
    const result = await verifyIn(db, anchors);
    expect(result.breaks.map((b) => `${b.seq}:${b.kind}`)).toEqual(["3:modified", "7:modified", "10:modified"]);
    expect(result.anchors).toMatchObject({ read: 4, checked: 4, failed: 3, skippedOtherChain: 0 });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(1);
    expect(brokenLines(run.stdout)[0]).toMatch(/^BROKEN #3 modified: entry 3 differs from its anchor/);
  });

  it("a shared anchor sink: another chain's anchors are skipped with a note, never read as deleted entries", async () => {
    const { db, su, anchors } = await copy("shared");
    await su.end();
    // Staging's chain is longer; its anchors land in the same file.
    const staging = { id: crypto.randomUUID(), hash: "5".repeat(64) };
    await recordAnchor({ seq: 40, hash: "4".repeat(64), at: chain[0]!.at }, { source: "staging", file: anchors, genesis: staging });
    await recordAnchor(chain[7]!, { source: "test", file: anchors, genesis: genesisOf() });
    expect(await verifyIn(db, anchors)).toMatchObject({ ok: true, anchors: { read: 2, checked: 1, skippedOtherChain: 1, beyondEnd: 0 } });
    const run = await cli([], dbEnv(db, anchors));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/1 anchor checked; 1 of another chain skipped/);
  });

  it("the periodic anchorer verifies from the previous anchor before it anchors, and refuses a chain that does not verify", async () => {
    const { db, su, anchors } = await copy("anchorer");
    stopAnchoring();
    const e = { ...(await import("@/lib/env")).env(), AUDIT_ANCHOR_WEBHOOK_URL: undefined };
    await switchConsoleStore(db.url);
    try {
      // First run: no previous anchor, the whole chain is verified and its head anchored.
      expect(await anchorVerifiedHead({ source: "test", file: anchors, e })).toMatchObject({ status: "anchored", verified: { from: 1, to: 10 } });
      await appendAudit({ actor, action: "circuit.reset", outcome: "succeeded", reason: "entry 11" });
      // Next: from the anchor at 10 to the new head.
      expect(await anchorVerifiedHead({ source: "test", file: anchors, e })).toMatchObject({ status: "anchored", verified: { from: 10, to: 11 } });
      expect(anchoringStatus()).toMatchObject({ refused: false, lastAnchor: { seq: 11 } });
      const before = fs.readFileSync(anchors, "utf8");

      // Rewrite entry 4 (older than the newest anchor) and every later hash, as the store's owner.
      await rewriteFrom(su, 4);
      await appendAudit({ actor, action: "circuit.reset", outcome: "succeeded", reason: "entry 12" });
      const refused = await anchorVerifiedHead({ source: "test", file: anchors, e });
      expect(refused).toMatchObject({ status: "refused", breaks: [{ seq: 11, kind: "modified" }] });
      // Nothing anchored; said in the status (/api/health), the metric and an audit entry.
      expect(fs.readFileSync(anchors, "utf8")).toBe(before);
      expect(anchoringStatus()).toMatchObject({ refused: true, refusals: 1, reason: expect.stringMatching(/#11 modified/), lastAnchor: { seq: 11 } });
      const metrics = renderMetrics({ generatedAt: new Date().toISOString(), checks: [] } as never, { evaluations: 0, anchoring: anchoringStatus() });
      expect(metrics).toMatch(/^recovery_console_audit_anchor_refusals_total 1$/m);
      expect(metrics).toMatch(/^recovery_console_audit_anchoring_refused 1$/m);
      const check = postgres(db.url, { max: 1, onnotice: () => {} });
      const entries = await check<{ outcome: string; reason: string; detail: { breakCount: number } }[]>`
        select outcome, reason, detail from console.audit_log where action = 'audit.anchor' order by seq`;
      await check.end();
      expect(entries).toEqual([
        expect.objectContaining({ outcome: "refused", reason: expect.stringMatching(/does not verify/), detail: expect.objectContaining({ breakCount: 1 }) }),
      ]);
      // A second refusal for the same reason counts, but writes no second entry.
      expect(await anchorVerifiedHead({ source: "test", file: anchors, e })).toMatchObject({ status: "refused" });
      expect(anchoringStatus()).toMatchObject({ refusals: 2 });
    } finally {
      await switchConsoleStore(undefined);
      stopAnchoring();
    }
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
    expect(run.stdout).toMatch(/^FAILED: 1 break; first broken seq 7 \(modified\)$/m);

    // An unknown export version is refused (exit 2: not verified), whatever its lines hold.
    const v2 = path.join(tmp, "export-v2.ndjson");
    fs.writeFileSync(v2, [lines[0]!.replace('"version":1', '"version":2'), ...lines.slice(1)].join("\n") + "\n");
    const refused = await cli(["--file", v2], {});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refuses this file: export version 2/);
  });
});
