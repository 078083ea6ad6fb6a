/**
 * The columns of an audit entry, defined once: by the table in lib/db/schema/console.ts. This
 * list is read from it (drizzle's getTableColumns), and everything that names the columns derives
 * from it: the hash body (every column but `prev_hash` and `hash`, lib/recovery/audit/hash.ts),
 * the writer's INSERT (lib/recovery/audit/writer.ts), the rows read back for the review and the
 * verifier (toAuditRecord), and the export's lines and CSV columns
 * (lib/recovery/audit/export-format.ts). A column added to the table is hashed, written,
 * exported, verified and reviewed without another list to update.
 * No server-only marker: `npm run audit:verify` uses it too.
 */
import { getTableColumns } from "drizzle-orm";
import type { AuditBody, AuditRecord } from "./audit-entry.ts";
import { auditLog } from "./schema/console.ts";

/** How a column's value is represented in a record (and hashed): drizzle's dataType. */
export type AuditColumnKind = "number" | "string" | "date" | "json";

export type AuditColumn = {
  /** The record's key (camelCase). */
  key: keyof AuditRecord;
  /** The table's column name (snake_case): export keys and CSV headers. */
  name: string;
  kind: AuditColumnKind;
  nullable: boolean;
};

const KINDS: readonly string[] = ["number", "string", "date", "json"] satisfies AuditColumnKind[];

/** In the table's order. */
export const AUDIT_COLUMNS: readonly AuditColumn[] = Object.entries(getTableColumns(auditLog)).map(([key, c]) => {
  if (!KINDS.includes(c.dataType)) throw new Error(`audit_log.${c.name}: a ${c.dataType} column has no representation in an audit record`);
  return { key: key as keyof AuditRecord, name: c.name, kind: c.dataType as AuditColumnKind, nullable: !c.notNull };
});

/** The columns that link entries rather than describe one: not hashed into the body. */
const LINK_KEYS: readonly (keyof AuditRecord)[] = ["prevHash", "hash"];

/** The hashed columns, in the table's order. */
export const AUDIT_BODY_COLUMNS: readonly AuditColumn[] = AUDIT_COLUMNS.filter((c) => !LINK_KEYS.includes(c.key));

/** The body of an entry: its hashed columns only (a record with more keys hashes the same). */
export function auditBodyOf(r: AuditBody): AuditBody {
  const out: Record<string, unknown> = {};
  for (const c of AUDIT_BODY_COLUMNS) out[c.key] = (r as Record<string, unknown>)[c.key];
  return out as AuditBody;
}

/**
 * A row as postgres.js hands it back (bigint as text, timestamptz as Date, jsonb parsed) to the
 * record that was hashed (numbers, `at` as ISO 8601 UTC with milliseconds, JSON null for SQL null).
 */
export function toAuditRecord(row: Record<string, unknown>): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const c of AUDIT_COLUMNS) {
    const v = row[c.name];
    if (v === null || v === undefined) out[c.key] = null;
    else if (c.kind === "number") out[c.key] = Number(v);
    else if (c.kind === "date") out[c.key] = v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
    else out[c.key] = v;
  }
  return out as AuditRecord;
}

/** A record as a row keyed by column name, `json` applied to the jsonb values (for an INSERT). */
export function toAuditRow(r: AuditRecord, json: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of AUDIT_COLUMNS) {
    const v = r[c.key];
    out[c.name] = c.kind === "json" && v !== null ? json(v) : v;
  }
  return out;
}
