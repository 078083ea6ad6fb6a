/**
 * The audit view's filters, as they live in the URL (so a filtered view is a link one can share)
 * and as the export takes them: one parser for the page, the export route and the tests.
 *
 *   from, to   instants (ISO 8601). A value without a zone is read as UTC; the filter form converts
 *              the viewer's local time before it writes the URL, so a shared link means one instant.
 *              `from` is inclusive, `to` exclusive.
 *   actor      the actor's email (or CLI name), exact, case-insensitive
 *   action     exact, or a prefix with a trailing `*` (`users.*`)
 *   outcome    one of the outcomes, or `unknown`: intents with no outcome entry
 *   incident   the incident reference, exact
 *   q          text in the reason, case-insensitive substring
 * Paging (keyset on seq, newest first): `before=<seq>` (older page) or `after=<seq>` (newer page).
 *
 * Pure: no database, no React; the client filter form uses it too.
 */
import { z } from "zod";
import { text as storableText } from "../../validation/text.ts";
import { AUDIT_OUTCOMES, OUTCOME_UNKNOWN, type AuditFilters, type AuditPage } from "../../db/audit-entry.ts";

export { AUDIT_OUTCOMES, OUTCOME_UNKNOWN, likePattern } from "../../db/audit-entry.ts";
export type { AuditFilters, AuditPage, OutcomeFilter } from "../../db/audit-entry.ts";

export const FILTER_KEYS = ["from", "to", "actor", "action", "outcome", "incident", "q"] as const satisfies readonly (keyof AuditFilters)[];
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

const ZONE = /(Z|[+-]\d\d:?\d\d)$/i;

const instant = (label: string) =>
  z
    .string()
    .trim()
    .max(40)
    .transform((v, ctx) => {
      const withZone = ZONE.test(v) ? v : `${v}Z`;
      const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(withZone) : Number.NaN;
      if (Number.isNaN(t)) {
        ctx.addIssue({ code: "custom", message: `${label}: not a date and time (use e.g. 2026-01-03T14:00:00Z)` });
        return z.NEVER;
      }
      return new Date(t).toISOString();
    });

const text = (max: number) =>
  storableText()
    .trim()
    .max(max, `at most ${max} characters`)
    .transform((v) => v || undefined);

const filterSchema = z.object({
  from: instant("from").optional(),
  to: instant("to").optional(),
  actor: text(320).transform((v) => v?.toLowerCase()),
  action: text(100).refine((v) => v === undefined || /^[\w.:/-]+\*?$/.test(v), "action: letters, digits and . _ : / - only, with an optional trailing *"),
  outcome: z.enum([...AUDIT_OUTCOMES, OUTCOME_UNKNOWN], { message: `outcome: one of ${[...AUDIT_OUTCOMES, OUTCOME_UNKNOWN].join(", ")}` }).optional(),
  incident: text(100),
  q: text(200),
});

const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

type ParamSource = URLSearchParams | Record<string, string | string[] | undefined>;

function get(source: ParamSource, key: string): string | undefined {
  if (source instanceof URLSearchParams) return source.get(key) ?? undefined;
  const v = source[key];
  return Array.isArray(v) ? v[0] : v;
}

export type ParsedFilters = { filters: AuditFilters; errors: string[] };

/** Parse the filters; a bad value is reported in `errors` and left out of `filters`. */
export function parseAuditFilters(source: ParamSource): ParsedFilters {
  const filters: AuditFilters = {};
  const errors: string[] = [];
  for (const key of FILTER_KEYS) {
    const raw = get(source, key);
    if (raw === undefined || raw.trim() === "") continue;
    const r = filterSchema.shape[key].safeParse(raw);
    if (r.success) {
      if (r.data !== undefined) (filters as Record<string, unknown>)[key] = r.data;
    } else {
      errors.push(r.error.issues.map((i) => (i.message.startsWith(`${key}:`) ? i.message : `${key}: ${i.message}`)).join("; "));
    }
  }
  if (filters.from && filters.to && filters.from >= filters.to) {
    errors.push("to: must be after from");
    delete filters.to;
  }
  return { filters, errors };
}

/** Keyset paging: `before` wins over `after`; the page size is clamped. */
export function parseAuditPage(source: ParamSource): AuditPage {
  const before = seqParam.safeParse(get(source, "before"));
  const after = seqParam.safeParse(get(source, "after"));
  const limit = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).safeParse(get(source, "limit"));
  const page: AuditPage = { limit: limit.success ? limit.data : DEFAULT_PAGE_SIZE };
  if (get(source, "before") !== undefined && before.success) page.before = before.data;
  else if (get(source, "after") !== undefined && after.success) page.after = after.data;
  return page;
}

/** The URL query for these filters (and optional paging), in a stable order. */
export function auditQuery(filters: AuditFilters, extra: Record<string, string | number | undefined> = {}): string {
  const p = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filters[key];
    if (v) p.set(key, v);
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function hasFilters(filters: AuditFilters): boolean {
  return FILTER_KEYS.some((k) => filters[k] !== undefined);
}
