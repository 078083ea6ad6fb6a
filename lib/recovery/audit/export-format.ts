/**
 * The audit export file (NDJSON): its header, lines and trailer, and verifying such a file with
 * the chain verifier (verify.ts). No server-only marker: `npm run audit:verify` uses it.
 */
import type { AuditRecord } from "./hash.ts";
import { verifyChain, verifySubset, type Anchor, type VerifyResult } from "./verify.ts";

// ── The export file format ─────────────────────────────────────────────────────────────────
//
// NDJSON, one JSON object per line:
//   1. a header:  {"format":"recovery-console.audit-export","version":1,"exportedAt":…,"complete":bool,"filters":{…},…}
//   2. one line per entry, in seq order, with the table's column names (snake_case) and values in
//      the representation they are hashed in (`at` as ISO 8601 UTC with milliseconds, jsonb as
//      JSON), so that the file can be verified offline: hash = SHA-256(prev_hash || canonical JSON)
//   3. a trailer: {"end":true,"entries":N}; its absence means the file was cut short.
// `complete` is true for an unfiltered export (the whole chain from seq 1); a filtered export is a
// subset, verified as such (verifySubset).

export const EXPORT_FORMAT = "recovery-console.audit-export";
export const EXPORT_VERSION = 1;

/** Column order of both exports (NDJSON keys and CSV columns): the table's columns. */
export const EXPORT_COLUMNS = [
  "seq",
  "id",
  "at",
  "actor_id",
  "actor_email",
  "actor_role",
  "action",
  "phase",
  "intent_seq",
  "outcome",
  "reason",
  "incident_ref",
  "params",
  "detail",
  "request",
  "prev_hash",
  "hash",
] as const;

export type ExportRow = {
  seq: number;
  id: string;
  at: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_role: string | null;
  action: string;
  phase: string;
  intent_seq: number | null;
  outcome: string;
  reason: string | null;
  incident_ref: string | null;
  params: unknown;
  detail: unknown;
  request: unknown;
  prev_hash: string;
  hash: string;
};

export type ExportHeader = {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  exportedBy?: string | null;
  complete: boolean;
  filters?: Record<string, string>;
  intentSeq?: number;
};

export type ExportTrailer = { end: true; entries: number };

export function toExportRow(r: AuditRecord): ExportRow {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actor_id: r.actorId,
    actor_email: r.actorEmail,
    actor_role: r.actorRole,
    action: r.action,
    phase: r.phase,
    intent_seq: r.intentSeq,
    outcome: r.outcome,
    reason: r.reason,
    incident_ref: r.incidentRef,
    params: r.params,
    detail: r.detail,
    request: r.request,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

class MalformedLine extends Error {}

const str = (o: Record<string, unknown>, k: string): string => {
  const v = o[k];
  if (typeof v !== "string") throw new MalformedLine(`"${k}" must be a string`);
  return v;
};
const strOrNull = (o: Record<string, unknown>, k: string): string | null => {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw new MalformedLine(`"${k}" must be a string or null`);
  return v;
};
const seqOf = (v: unknown, k: string): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new MalformedLine(`"${k}" must be a positive integer`);
  return v;
};

/** An export line back to the record that was hashed. Throws on a line that is not one. */
export function fromExportRow(o: Record<string, unknown>): AuditRecord {
  const intent = o.intent_seq;
  return {
    seq: seqOf(o.seq, "seq"),
    id: str(o, "id"),
    at: str(o, "at"),
    actorId: strOrNull(o, "actor_id"),
    actorEmail: strOrNull(o, "actor_email"),
    actorRole: strOrNull(o, "actor_role"),
    action: str(o, "action"),
    phase: str(o, "phase") as AuditRecord["phase"],
    intentSeq: intent === null || intent === undefined ? null : seqOf(intent, "intent_seq"),
    outcome: str(o, "outcome") as AuditRecord["outcome"],
    reason: strOrNull(o, "reason"),
    incidentRef: strOrNull(o, "incident_ref"),
    params: o.params ?? null,
    detail: o.detail ?? null,
    request: o.request ?? null,
    prevHash: str(o, "prev_hash"),
    hash: str(o, "hash"),
  };
}

export type FileVerifyResult = VerifyResult & { mode: "complete" | "subset"; header: ExportHeader | null };

/**
 * Verify an exported NDJSON file, given as its lines (streamed: constant memory). The header
 * says whether the file is the complete chain or a subset; a file without a header is taken as
 * the complete chain unless `subset` is set.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: { anchor?: Anchor | null | ((header: ExportHeader | null) => Promise<Anchor | null>); subset?: boolean } = {},
): Promise<FileVerifyResult> {
  const iterator = (Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : (lines as Iterable<string>)[Symbol.iterator]()) as AsyncIterator<string> | Iterator<string>;
  let lineNo = 0;
  let header: ExportHeader | null = null;
  let trailer: ExportTrailer | null = null;
  let lastSeq = 0;
  let malformed: { line: number; message: string } | null = null;

  const parse = (line: string): Record<string, unknown> => {
    const v: unknown = JSON.parse(line);
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new MalformedLine("not a JSON object");
    return v as Record<string, unknown>;
  };

  // Read up to the first non-empty line to learn the mode before verifying.
  let first: Record<string, unknown> | null = null;
  for (;;) {
    const n = await iterator.next();
    if (n.done) break;
    lineNo++;
    if (!n.value.trim()) continue;
    try {
      first = parse(n.value);
    } catch (err) {
      malformed = { line: lineNo, message: err instanceof Error ? err.message : String(err) };
    }
    break;
  }
  if (first && first.format === EXPORT_FORMAT) {
    header = first as unknown as ExportHeader;
    first = null;
  }
  const mode: "complete" | "subset" = header ? (header.complete ? "complete" : "subset") : opts.subset ? "subset" : "complete";
  const anchor = typeof opts.anchor === "function" ? await opts.anchor(header) : (opts.anchor ?? null);

  async function* records(): AsyncGenerator<AuditRecord> {
    if (malformed) return;
    const take = (o: Record<string, unknown>): AuditRecord | null => {
      if (trailer) throw new MalformedLine("a line after the trailer");
      if (o.end === true) {
        trailer = o as unknown as ExportTrailer;
        return null;
      }
      const r = fromExportRow(o);
      lastSeq = r.seq;
      return r;
    };
    try {
      if (first) {
        const r = take(first);
        if (r) yield r;
      }
      for (;;) {
        const n = await iterator.next();
        if (n.done) return;
        lineNo++;
        if (!n.value.trim()) continue;
        const r = take(parse(n.value));
        if (r) yield r;
      }
    } catch (err) {
      if (err instanceof MalformedLine || err instanceof SyntaxError) {
        malformed = { line: lineNo, message: err.message };
        return;
      }
      throw err;
    }
  }

  const result = mode === "complete" ? await verifyChain(records(), anchor) : await verifySubset(records(), anchor);
  if (malformed) {
    return { ok: false, entries: result.entries, brokenSeq: lastSeq + 1, kind: "malformed", message: `line ${malformed.line} is not an export line: ${malformed.message}`, mode, header };
  }
  if (!result.ok) return { ...result, mode, header };
  const t = trailer as ExportTrailer | null;
  if (header && !t) {
    return { ok: false, entries: result.entries, brokenSeq: lastSeq + 1, kind: "truncated", message: `the file ends after entry ${lastSeq} without its trailer line: it was cut short`, mode, header };
  }
  if (t && t.entries !== result.entries) {
    return {
      ok: false,
      entries: result.entries,
      brokenSeq: lastSeq + 1,
      kind: "truncated",
      message: `the trailer counts ${t.entries} entries but the file holds ${result.entries}`,
      mode,
      header,
    };
  }
  return { ...result, mode, header };
}
