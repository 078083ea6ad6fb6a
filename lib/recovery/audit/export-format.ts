/**
 * The audit export file (NDJSON): its header, lines and trailer, and verifying such a file with
 * the chain verifier (verify.ts). No server-only marker: `npm run audit:verify` uses it.
 *
 * NDJSON, one JSON object per line:
 *   1. a header:  {"format":"recovery-console.audit-export","version":1,"exportedAt":…,"complete":bool,"filters":{…},…}
 *   2. one line per entry, in seq order, keyed by the table's column names (snake_case; the
 *      columns are the table's, lib/db/audit-columns.ts) with values in the representation they
 *      are hashed in (`at` as ISO 8601 UTC with milliseconds, jsonb as JSON), so that the file can
 *      be verified offline: hash = SHA-256(prev_hash || canonical JSON of the body)
 *   3. a trailer: {"end":true,"entries":N}; its absence means the file was cut short.
 * `complete` in the header says what the exporter meant (an unfiltered export); it is
 * informational. The verifier decides how to check a file (`mode`, the CLI's `--subset`): a file
 * cannot make itself easier to pass by claiming to be a subset. A header with another format or an
 * unknown version is refused (ExportFormatError): its lines could mean something else.
 */
import { AUDIT_COLUMNS } from "../../db/audit-columns.ts";
import type { AuditRecord } from "./hash.ts";
import { MAX_LISTED_BREAKS, verifyChain, type Anchor, type Break, type VerifyResult } from "./verify.ts";

export const EXPORT_FORMAT = "recovery-console.audit-export";
export const EXPORT_VERSION = 1;
/** The versions this verifier reads. */
export const EXPORT_VERSIONS: readonly number[] = [1];

/** Column order of both exports (NDJSON keys and CSV columns): the table's columns. */
export const EXPORT_COLUMNS: readonly string[] = AUDIT_COLUMNS.map((c) => c.name);

export type ExportRow = Record<string, unknown>;

export type ExportHeader = {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  exportedBy?: string | null;
  complete: boolean;
  filters?: Record<string, string>;
  intentSeq?: number;
  /** The chain's entry 1 (id and hash), which anchors name: lets a subset without entry 1 tell its chain's anchors. */
  chain?: { id: string; hash: string } | null;
};

export type ExportTrailer = { end: true; entries: number };

/** The file cannot be verified at all (another format, an unknown version). */
export class ExportFormatError extends Error {}

export function toExportRow(r: AuditRecord): ExportRow {
  const out: ExportRow = {};
  for (const c of AUDIT_COLUMNS) out[c.name] = r[c.key];
  return out;
}

class MalformedLine extends Error {}

/** An export line back to the record that was hashed. Throws on a line that is not one. */
export function fromExportRow(o: Record<string, unknown>): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const c of AUDIT_COLUMNS) {
    const v = o[c.name];
    if (c.kind === "json") {
      out[c.key] = v ?? null;
      continue;
    }
    if (v === null || v === undefined) {
      if (!c.nullable) throw new MalformedLine(`"${c.name}" is missing`);
      out[c.key] = null;
    } else if (c.kind === "number") {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new MalformedLine(`"${c.name}" must be a positive integer`);
      out[c.key] = v;
    } else {
      if (typeof v !== "string") throw new MalformedLine(`"${c.name}" must be a string${c.nullable ? " or null" : ""}`);
      out[c.key] = v;
    }
  }
  return out as AuditRecord;
}

export type ExportMode = "complete" | "subset";

export type FileVerifyResult = VerifyResult & { mode: ExportMode; header: ExportHeader | null };

/**
 * Verify an exported NDJSON file, given as its lines (streamed: constant memory). `mode` decides
 * how (default "complete": the whole chain from seq 1); the header does not. Every break is
 * reported: a malformed line is one (the verification goes on with the next line), as are a
 * missing or wrong trailer. `anchors` (or a function of the header, to take only the anchors
 * that existed when the file was exported) are checked at the seqs the file holds.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: { mode?: ExportMode; anchors?: readonly Anchor[] | ((header: ExportHeader | null) => Promise<readonly Anchor[]>); onBreak?: (b: Break) => void } = {},
): Promise<FileVerifyResult> {
  const mode = opts.mode ?? "complete";
  const iterator = (Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : (lines as Iterable<string>)[Symbol.iterator]()) as
    AsyncIterator<string> | Iterator<string>;
  let lineNo = 0;
  let header: ExportHeader | null = null;
  let trailer: ExportTrailer | null = null;
  let lastSeq = 0;
  // Every break, the file's and the chain's, in the order found.
  const breaks: Break[] = [];
  let breakCount = 0;
  const report = (b: Break) => {
    breakCount++;
    if (breaks.length < MAX_LISTED_BREAKS) breaks.push(b);
    opts.onBreak?.(b);
  };

  const parse = (line: string): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new MalformedLine(err instanceof Error ? err.message : String(err));
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new MalformedLine("not a JSON object");
    return v as Record<string, unknown>;
  };
  const malformed = (err: unknown) => {
    if (!(err instanceof MalformedLine)) throw err;
    report({ seq: lastSeq + 1, kind: "malformed", detail: `line ${lineNo} is not an export line: ${err.message}` });
  };

  // The first non-empty line: the header, if the file has one.
  let first: Record<string, unknown> | null = null;
  for (;;) {
    const n = await iterator.next();
    if (n.done) break;
    lineNo++;
    if (!n.value.trim()) continue;
    try {
      first = parse(n.value);
    } catch (err) {
      malformed(err);
    }
    break;
  }
  if (first && ("format" in first || "version" in first)) {
    if (first.format !== EXPORT_FORMAT)
      throw new ExportFormatError(`not an audit export (format ${JSON.stringify(first.format)}; expected "${EXPORT_FORMAT}")`);
    if (typeof first.version !== "number" || !EXPORT_VERSIONS.includes(first.version)) {
      throw new ExportFormatError(
        `export version ${JSON.stringify(first.version)} is not one this verifier reads (${EXPORT_VERSIONS.join(", ")}): refusing to guess what its lines mean`,
      );
    }
    header = first as unknown as ExportHeader;
    first = null;
  }
  const anchors = typeof opts.anchors === "function" ? await opts.anchors(header) : (opts.anchors ?? []);

  async function* records(): AsyncGenerator<AuditRecord> {
    const take = (o: Record<string, unknown>): AuditRecord | null => {
      if (trailer) throw new MalformedLine("a line after the trailer");
      if (o.end === true) {
        if (typeof o.entries !== "number") throw new MalformedLine('the trailer\'s "entries" must be a number');
        trailer = o as unknown as ExportTrailer;
        return null;
      }
      const r = fromExportRow(o);
      lastSeq = r.seq;
      return r;
    };
    if (first) {
      let r: AuditRecord | null = null;
      try {
        r = take(first);
      } catch (err) {
        malformed(err);
      }
      if (r) yield r;
    }
    for (;;) {
      const n = await iterator.next();
      if (n.done) return;
      lineNo++;
      if (!n.value.trim()) continue;
      let r: AuditRecord | null = null;
      try {
        r = take(parse(n.value));
      } catch (err) {
        malformed(err);
      }
      if (r) yield r;
    }
  }

  // A subset may lack entry 1: the header names the chain, only to tell its anchors from another
  // chain's (a wrong name can only make anchors be skipped, which the result counts and the CLI says).
  const h = header as ExportHeader | null;
  const genesis = mode === "subset" && h?.chain && typeof h.chain.id === "string" && typeof h.chain.hash === "string" ? h.chain : null;
  const result = await verifyChain(records(), { mode, anchors, genesis, onBreak: report });
  const t = trailer as ExportTrailer | null;
  if (!t) {
    if (header) report({ seq: lastSeq + 1, kind: "truncated", detail: `the file ends after entry ${lastSeq} without its trailer line: it was cut short` });
  } else if (t.entries !== result.entries) {
    report({ seq: lastSeq + 1, kind: "truncated", detail: `the trailer counts ${t.entries} entries but the file holds ${result.entries}` });
  }
  return { ...result, ok: breakCount === 0, breaks, breakCount, mode, header };
}
