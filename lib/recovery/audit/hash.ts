/**
 * The audit entry's shape and its hash, with no database or server dependency: shared by the
 * writer (writer.ts), the verifier (verify.ts, npm run audit:verify) and tests.
 */
import { createHash } from "node:crypto";
import type { AuditBody, AuditPhase, AuditOutcome } from "../../db/audit-entry.ts";
import { auditBodyOf } from "../../db/audit-columns.ts";
import { canonicalJson } from "../canonical-json.ts";

export type { AuditBody, AuditOutcome, AuditPhase, AuditRecord } from "../../db/audit-entry.ts";
/** The hashed columns (the table's, but prev_hash and hash) and an entry's body as hashed. */
export { AUDIT_BODY_COLUMNS, auditBodyOf } from "../../db/audit-columns.ts";

export const GENESIS_HASH = "0".repeat(64);

export type AuditActor = { id?: string | null; email?: string | null; role?: string | null };

export type RequestMeta = { requestId?: string; ip?: string | null; userAgent?: string | null; path?: string };

export type AuditInput = {
  actor: AuditActor | null;
  action: string;
  phase?: AuditPhase;
  intentSeq?: number | null;
  outcome: AuditOutcome;
  reason?: string | null;
  incidentRef?: string | null;
  params?: unknown;
  detail?: unknown;
  request?: RequestMeta | null;
};

/**
 * SHA-256(prev_hash || canonicalJson(body)), the body being the entry's hashed columns (every
 * column of the table but prev_hash and hash: lib/db/audit-columns.ts). A record may be passed
 * whole: its other keys are not hashed.
 */
export function hashEntry(prevHash: string, body: AuditBody): string {
  return createHash("sha256")
    .update(prevHash)
    .update(canonicalJson(auditBodyOf(body)))
    .digest("hex");
}

/**
 * A text exactly as PostgreSQL stores it and hands it back. Two things differ from the JS string:
 * - A lone UTF-16 surrogate cannot be encoded in UTF-8: postgres.js sends U+FFFD for it in a text
 *   column, and jsonb refuses its `\ud800` escape outright. So each becomes U+FFFD here.
 * - NUL (U+0000) cannot be stored at all (text refuses the byte, jsonb the `\u0000` escape), so
 *   the whole entry would be refused. It becomes U+FFFD too: the entry is written, and the
 *   replacement character shows that something was there.
 * Everything else (combining marks, emoji, RTL marks, long texts) is stored byte for byte: no
 * Unicode normalization happens on either side. The edges refuse such strings anyway (see
 * lib/validation/text.ts); this is the writer's defence, so the chain holds whatever a caller passes.
 */
export function storedText(s: string): string {
  const wellFormed = s.isWellFormed() ? s : s.toWellFormed();
  return wellFormed.includes("\0") ? wellFormed.replaceAll("\0", "\uFFFD") : wellFormed;
}

/**
 * A JSON value exactly as jsonb hands it back: undefined dropped (null at the top), Dates as their
 * ISO strings (JSON.stringify's rules), every string and object key as storedText. Two keys that
 * become one (say "\ud800" and "\udc00", both U+FFFD) keep the later value, as jsonb keeps the
 * last of duplicate keys. Numbers need nothing: jsonb keeps their exact decimal value (1e21 comes
 * back as 1000000000000000000000, which JSON.parse reads as the same double), and canonicalJson
 * writes the double, not the text. Key order does not matter either: canonicalJson sorts keys.
 */
export function storedJson(v: unknown): unknown {
  return v === undefined ? null : normalizeJson(JSON.parse(JSON.stringify(v)) as unknown);
}

function normalizeJson(v: unknown): unknown {
  if (typeof v === "string") return storedText(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(normalizeJson);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // defineProperty, not assignment: a key "__proto__" (JSON.parse makes it an own key) stays a key.
    Object.defineProperty(out, storedText(k), { value: normalizeJson(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const textOrNull = (s: string | null | undefined): string | null => (s == null ? null : storedText(s));

/**
 * The entry as it will be stored: every text and JSON value normalized to exactly what the
 * database hands back (storedText, storedJson), so the verifier rehashes the bytes that were hashed.
 */
export function buildBody(input: AuditInput, seq: number, id: string, at: Date): AuditBody {
  return {
    seq,
    id,
    at: at.toISOString(),
    actorId: textOrNull(input.actor?.id),
    actorEmail: textOrNull(input.actor?.email),
    actorRole: textOrNull(input.actor?.role),
    action: storedText(input.action),
    phase: input.phase ?? "event",
    intentSeq: input.intentSeq ?? null,
    outcome: input.outcome,
    reason: textOrNull(input.reason),
    incidentRef: textOrNull(input.incidentRef),
    params: storedJson(input.params),
    detail: storedJson(input.detail),
    request: storedJson(input.request),
  };
}
