/**
 * `npm run audit:verify`: verify the audit hash chain, streaming (constant memory at any size).
 *
 *   npm run audit:verify                          the stored chain, against every anchor of it
 *   npm run audit:verify -- --anchor              the same, then anchor the verified head
 *   npm run audit:verify -- --file export.ndjson  an exported NDJSON file, offline, as the
 *                                                 complete chain from seq 1
 *        [--subset]                               ... as a subset (a filtered export): only
 *                                                 each entry's hash, the links between
 *                                                 consecutive seqs and the anchors it holds
 *        [--anchors anchors.ndjson]               ... against an anchor file (only when given)
 *   --anchors <file>   the anchor file for the stored chain (default: AUDIT_ANCHOR_FILE, or
 *                      <DATA_DIR>/audit-anchors.ndjson)
 *
 * Whether a file is checked as complete or as a subset is decided here (--subset), never by the
 * file's header; a file of another format or an unknown export version is refused (exit 2).
 *
 * Verification goes on past a break: every break is printed as it is found, one line each
 * (`BROKEN #<seq> <kind>: <what>`, a range as `#<seq>..<last>`), then the verdict: `OK: N entries,
 * head <seq> <hash>` and exit 0, or `FAILED: <K> breaks; first broken seq <seq> (<kind>)` and exit 1;
 * exit 2 when it cannot verify at all (no database, no file). Notes (the anchors checked and
 * skipped, warnings) go to stderr. The words are lib/recovery/audit/verification-summary.ts's,
 * as in the audit view.
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
import { anchorFilePath, readAnchors } from "../lib/recovery/audit/anchors.ts";
import { GENESIS_HASH } from "../lib/recovery/audit/hash.ts";
import type { Break, VerifyResult } from "../lib/recovery/audit/verify.ts";
import { ExportFormatError, verifyExportLines } from "../lib/recovery/audit/export-format.ts";
import { anchorsLine, describeBreak } from "../lib/recovery/audit/verification-summary.ts";
import { cliStores, root } from "./lib/stack.ts";

const USAGE = `usage: npm run audit:verify [-- --anchor] [--anchors <anchors.ndjson>]
       npm run audit:verify -- --file <export.ndjson> [--subset] [--anchors <anchors.ndjson>]`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith("--")) throw new Error(`${name} needs a value\n${USAGE}`);
  return v;
}

/** Each break as it is found. */
const printBreak = (b: Break) => console.log(`BROKEN ${describeBreak(b)}`);

function report(result: VerifyResult, note = ""): number {
  if (result.ok) {
    console.log(`OK: ${result.entries} entries, head ${result.head?.seq ?? 0} ${result.head?.hash ?? GENESIS_HASH}${note}`);
    return 0;
  }
  const first = result.breaks[0];
  console.log(`FAILED: ${result.breakCount} ${result.breakCount === 1 ? "break" : "breaks"}; first broken seq ${first?.seq ?? "?"} (${first?.kind ?? "?"})`);
  return 1;
}

async function verifyFile(file: string, args: string[]): Promise<number> {
  const anchorsFile = option(args, "--anchors");
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  const subset = args.includes("--subset");
  const result = await verifyExportLines(lines, {
    mode: subset ? "subset" : "complete",
    onBreak: printBreak,
    anchors: async (header) => {
      if (!anchorsFile) return [];
      // Only anchors that existed when the export was taken apply to it.
      return (await readAnchors(path.resolve(anchorsFile), { notAfter: header?.exportedAt })).anchors;
    },
  }).finally(() => lines.close());
  const code = report(
    result,
    subset ? " (checked as a subset: only each entry's own hash, the links between consecutive seqs and the anchors at its seqs)" : "",
  );
  if (subset) {
    console.error(
      "note: checked as a subset (--subset). A subset cannot show entries deleted between the ones it holds, nor a deleted tail; verify an unfiltered export, or the store, for that.",
    );
  } else if (result.header && result.header.complete === false) {
    console.error(
      "note: the file's header says it is a filtered export, and it was checked as the complete chain: the gaps of a filter read as deleted entries. Pass --subset to check it as a subset.",
    );
  }
  console.error(
    anchorsFile ? `${anchorsLine(result)} (from ${anchorsFile})` : "anchors: none given (--anchors); a deleted tail cannot be detected without one",
  );
  return code;
}

async function verifyStore(args: string[]): Promise<number> {
  const e = parseEnv(process.env);
  const stopDbs = await cliStores();
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
      onBreak: printBreak,
    });
    const code = report(recorded.verification.result);
    console.error(`${anchorsLine(recorded.verification.result)} (from ${anchorFile})`);
    if (recorded.verification.anchorLinesSkipped)
      console.error(`note: ${recorded.verification.anchorLinesSkipped} lines of the anchor file are not anchors and were skipped`);
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
    if (err instanceof ExportFormatError) console.error(`audit:verify refuses this file: ${err.message}`);
    else if (err instanceof ConfigError) console.error(`\n${err.message}\n\nSee .env.example for every variable.`);
    else console.error(`audit:verify could not verify: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
