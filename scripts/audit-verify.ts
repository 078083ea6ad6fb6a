/**
 * `npm run audit:verify`: verify the audit hash chain, streaming (constant memory at any size).
 *
 *   npm run audit:verify                          the stored chain, against the latest anchor
 *   npm run audit:verify -- --anchor              the same, then anchor the verified head
 *   npm run audit:verify -- --file export.ndjson  an exported NDJSON file, offline
 *        [--anchors anchors.ndjson]               ... against an anchor file (only when given)
 *        [--subset]                               a file without a header is a filtered subset
 *   --anchors <file>   the anchor file for the stored chain (default: AUDIT_ANCHOR_FILE, or
 *                      <DATA_DIR>/audit-anchors.ndjson)
 *
 * Prints `OK: N entries, head <seq> <hash>` and exits 0, or `FAILED: first broken seq <seq>
 * (<kind>): <what>` and exits 1; exits 2 when it cannot verify at all (no database, no file).
 * Notes (the anchor used, warnings) go to stderr.
 *
 * A verification of the stored chain is itself recorded, as an `audit.verify` entry by
 * `cli:<os user>`, when the store accepts writes. Verifying must work against a read-only
 * replica or role too, so if the entry cannot be written a warning says so and the exit code is
 * unchanged. Verifying a file never touches a database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { ConfigError, parseEnv } from "../lib/env.ts";
import { resolveStoreUrls } from "../lib/db/urls.ts";
import { anchorFilePath, readLatestAnchor } from "../lib/recovery/audit/anchors.ts";
import { GENESIS_HASH } from "../lib/recovery/audit/hash.ts";
import type { VerifyResult } from "../lib/recovery/audit/verify.ts";
import { verifyExportLines } from "../lib/recovery/audit/export-format.ts";
import { prepareDatabases, root } from "./lib/stack.ts";

const USAGE = `usage: npm run audit:verify [-- --anchor] [--anchors <anchors.ndjson>]
       npm run audit:verify -- --file <export.ndjson> [--anchors <anchors.ndjson>] [--subset]`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith("--")) throw new Error(`${name} needs a value\n${USAGE}`);
  return v;
}

function report(result: VerifyResult, note = ""): number {
  if (result.ok) {
    console.log(`OK: ${result.entries} entries, head ${result.head?.seq ?? 0} ${result.head?.hash ?? GENESIS_HASH}${note}`);
    return 0;
  }
  console.log(`FAILED: first broken seq ${result.brokenSeq} (${result.kind}): ${result.message}`);
  return 1;
}

function describeAnchor(anchor: { seq: number; anchoredAt: string } | null, file: string): string {
  return anchor
    ? `anchor: checked against entry ${anchor.seq} (anchored ${anchor.anchoredAt}) from ${file}`
    : `anchor: none in ${file}; a deleted tail cannot be detected without one`;
}

async function verifyFile(file: string, args: string[]): Promise<number> {
  const anchorsFile = option(args, "--anchors");
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let anchorNote = "anchor: none given (--anchors); a deleted tail cannot be detected without one";
  const result = await verifyExportLines(lines, {
    subset: args.includes("--subset"),
    anchor: async (header) => {
      if (!anchorsFile) return null;
      // Only anchors that existed when the export was taken apply to it.
      const latest = await readLatestAnchor(path.resolve(anchorsFile), { notAfter: header?.exportedAt });
      anchorNote = describeAnchor(latest.anchor, anchorsFile);
      return latest.anchor;
    },
  });
  lines.close();
  const subset = result.mode === "subset";
  const code = report(result, subset ? " (a filtered subset: only each entry's own hash and the links between consecutive seqs were checked)" : "");
  if (subset) {
    console.error("note: this file is a filtered export. A subset cannot show entries deleted between the ones it holds, nor a deleted tail; verify an unfiltered export, or the store, for that.");
  }
  console.error(anchorNote);
  return code;
}

async function verifyStore(args: string[]): Promise<number> {
  const e = parseEnv(process.env);
  let stopDbs: () => Promise<void> = async () => {};
  if (!e.TRADING_DATABASE_URL) {
    // Embedded default: reuse the running server, or start it for the length of this command.
    const dbs = await prepareDatabases({ dataDir: path.resolve(root, e.DATA_DIR), pgPort: e.EMBEDDED_PG_PORT, fixtures: "embedded-only", log: () => {}, reuseRunning: true });
    process.env.TRADING_DATABASE_URL = dbs.tradingUrl;
    process.env.CONSOLE_DATABASE_URL = dbs.consoleUrl;
    stopDbs = dbs.stop;
  }
  resolveStoreUrls(parseEnv(process.env));
  const { reloadEnv } = await import("../lib/env.ts");
  reloadEnv();
  const { verifyAndRecord } = await import("../lib/recovery/audit/verify-store.ts");
  const { closeStores } = await import("../lib/db/client.ts");
  const user = os.userInfo().username;
  const anchorFile = path.resolve(option(args, "--anchors") ?? anchorFilePath(e, root));
  try {
    const recorded = await verifyAndRecord({
      actor: { id: `cli:${user}`, email: `cli:${user}`, role: null },
      request: { userAgent: "npm run audit:verify" },
      via: "cli",
      anchor: args.includes("--anchor"),
      anchorFile,
    });
    const code = report(recorded.verification.result);
    console.error(describeAnchor(recorded.verification.anchor, anchorFile));
    if (recorded.recordError) console.error(`warning: this verification could not be recorded in the audit log (a read-only store?): ${recorded.recordError}`);
    if (recorded.anchored) {
      console.error(`anchored: entry ${recorded.anchored.anchor.seq} to ${recorded.anchored.file}`);
      if (recorded.anchored.webhook && !(await recorded.anchored.webhook)) console.error("warning: the anchor webhook did not accept the anchor (see above)");
    }
    if (recorded.anchorError) console.error(`warning: could not write the anchor: ${recorded.anchorError}`);
    return code;
  } finally {
    await closeStores();
    await stopDbs();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const file = option(args, "--file");
  return file ? verifyFile(path.resolve(file), args) : verifyStore(args);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // Exit 2, not 1: "could not verify" must never read as "the chain is broken".
    if (err instanceof ConfigError) console.error(`\n${err.message}\n\nSee .env.example for every variable.`);
    else console.error(`audit:verify could not verify: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
