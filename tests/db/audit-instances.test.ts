/**
 * The audit chain with several console instances appending at once: each instance is a process
 * with its own writer, so its own idea of the chain's head (lib/recovery/audit/writer.ts appends in
 * one statement after the head it last saw, and re-reads it when another writer moved it). Two
 * processes and this one append concurrently, some entries inside transactions of their own (the
 * `tx` way in, which takes the chain lock and reads the head itself): the chain must come out
 * gap-free, unforked and verifiable, and the writers must really have raced (stale heads seen).
 * On a scratch console store, so no other suite's entries are interleaved.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamAuditRecords } from "@/lib/db/queries/audit-records";
import { withConsole, type Sql } from "@/lib/db/client";
import { appendAudit, appendStats } from "@/lib/recovery/audit/writer";
import { verifyChain } from "@/lib/recovery/audit/verify";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

let scratch: Scratch;
let direct: Sql;

beforeAll(async () => {
  scratch = await createScratchDb("audit_instances");
  await switchConsoleStore(scratch.url);
  direct = postgres(scratch.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await direct.end({ timeout: 2 });
  await switchConsoleStore(undefined);
  await scratch.drop();
});

type Report = { name: string; appended: number; failures: number; staleHeads: number; fallbacks: number };

/** Another instance: its own process appending `writers` × `entries`, every `txEvery`-th in a transaction of its own. */
function instance(name: string, o: { writers: number; entries: number; txEvery: number }): Promise<Report> {
  const script = path.resolve("tests/support/audit-writer-process.ts");
  const env = {
    ...process.env,
    CONSOLE_DATABASE_URL: scratch.url,
    AUDIT_INSTANCE: name,
    AUDIT_WRITERS: String(o.writers),
    AUDIT_ENTRIES: String(o.entries),
    AUDIT_TX_EVERY: String(o.txEvery),
  };
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script], { env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`instance ${name} did not finish within 60 s`));
    }, 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`instance ${name} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as Report);
    });
  });
}

describe("audit chain, several instances", () => {
  it("two other processes and this one append at once, some in their own transactions: gap-free, unforked, verified, and they did race", async () => {
    const before = { ...appendStats };
    const local = async (): Promise<Report> => {
      const actor = { id: "writer-local", email: "local@test.example", role: "oncall" };
      let appended = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 60; i++) {
            const input = { actor, action: "test.instances", outcome: "succeeded" as const, params: { name: "local", w, i } };
            if (i % 7 === 3) await withConsole((sql) => sql.begin((tx) => appendAudit(input, { tx: tx as unknown as Sql })));
            else await appendAudit(input);
            appended++;
          }
        }),
      );
      return {
        name: "local",
        appended,
        failures: 0,
        staleHeads: appendStats.staleHeads - before.staleHeads,
        fallbacks: appendStats.fallbacks - before.fallbacks,
      };
    };
    const reports = await Promise.all([
      instance("a", { writers: 4, entries: 60, txEvery: 5 }),
      instance("b", { writers: 4, entries: 60, txEvery: 0 }),
      local(),
    ]);
    expect(reports.map((r) => r.failures)).toEqual([0, 0, 0]);
    const total = reports.reduce((n, r) => n + r.appended, 0);
    expect(total).toBe(3 * 4 * 60);

    const rows = await direct<{ seq: string; prev_hash: string; hash: string }[]>`select seq, prev_hash, hash from console.audit_log order by seq`;
    // Gap-free from 1, one entry per append, each linked to the one before it.
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    const result = await verifyChain(streamAuditRecords(direct));
    expect(result.ok).toBe(true);
    expect(result.breaks).toEqual([]);
    // The writers' heads went stale under one another: the race this test is about did happen.
    expect(reports.reduce((n, r) => n + r.staleHeads, 0)).toBeGreaterThan(0);
  }, 90_000);
});
