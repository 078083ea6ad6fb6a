import type { Metadata } from "next";
import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { AuditFilterForm } from "@/components/audit/audit-filter-form";
import { AuditTable } from "@/components/audit/audit-table";
import { ViewerTimeZone } from "@/components/time";
import { VerifyPanel, type AnchorSummary, type VerificationSummary } from "@/components/audit/verify-panel";
import { DbError } from "@/lib/db/errors";
import type { AuditList } from "@/lib/db/queries/audit";
import { readAuditAnchor, readAuditEntries, readAuditFacets, readAuditHead, readLatestVerification } from "@/lib/recovery/data";
import { auditQuery, DEFAULT_PAGE_SIZE, hasFilters, parseAuditFilters, parseAuditPage } from "@/lib/recovery/audit/filters";
import type { AuditRecord } from "@/lib/recovery/audit/hash";
import type { Break } from "@/lib/recovery/audit/verify";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { can } from "@/lib/recovery/access/permissions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit trail" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function summarize(entry: AuditRecord | null): VerificationSummary | null {
  if (!entry) return null;
  const d = (entry.detail ?? {}) as Record<string, unknown>;
  const head = d.head as { seq?: number } | null | undefined;
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const status = d.result === "ok" ? "ok" : d.result === "broken" ? "broken" : "error";
  // Entries written before every break was listed hold only the first (brokenSeq, kind, message).
  const breaks: Break[] = Array.isArray(d.breaks)
    ? (d.breaks as Break[])
    : typeof d.brokenSeq === "number"
      ? [
          {
            seq: d.brokenSeq,
            kind: (typeof d.kind === "string" ? d.kind : "modified") as Break["kind"],
            detail: typeof d.message === "string" ? d.message : "",
          },
        ]
      : [];
  return {
    seq: entry.seq,
    at: entry.at,
    by: entry.actorEmail,
    via: typeof d.via === "string" ? d.via : "unknown",
    status,
    entries: num(d.entries),
    headSeq: num(head?.seq),
    breaks,
    breakCount: num(d.breakCount) ?? breaks.length,
  };
}

/** Settled value or a fallback: the page renders whatever it could read. */
async function orElse<T>(p: Promise<T>, fallback: T, what: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    console.error(`[audit] could not read ${what}:`, err);
    return fallback;
  }
}

export default async function AuditPage({ searchParams }: { searchParams: SearchParams }) {
  const actor = await requirePageActor("audit.read", "/audit");
  const sp = await searchParams;
  const { filters, errors } = parseAuditFilters(sp);
  const page = parseAuditPage(sp);
  const query = auditQuery(filters);

  let list: AuditList | null = null;
  let listError: string | null = null;
  const [listResult, head, lastVerification, facets, anchor] = await Promise.all([
    readAuditEntries({ filters, page }).then(
      (l) => ({ ok: true as const, l }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
    orElse(readAuditHead(), null, "the head"),
    orElse(readLatestVerification(), null, "the last verification"),
    orElse(readAuditFacets(), { actors: [], actions: [] }, "the filter suggestions"),
    orElse(
      readAuditAnchor().then((a): AnchorSummary => (a.anchor ? { seq: a.anchor.seq, anchoredAt: a.anchor.anchoredAt } : null)),
      null,
      "the anchor file",
    ),
  ]);
  if (listResult.ok) list = listResult.l;
  else {
    console.error("[audit] could not list entries:", listResult.err);
    listError = listResult.err instanceof DbError ? listResult.err.publicMessage : "The audit trail could not be read (audit.list_failed).";
  }
  const canExport = can(actor.role, "audit.export");

  return (
    <>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-7xl space-y-4 p-4">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h1 className="text-xl font-semibold">Audit trail</h1>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            Times in <ViewerTimeZone />; hover a time for the exact UTC.
          </p>
        </div>

        <VerifyPanel last={summarize(lastVerification)} headSeq={head?.seq ?? null} anchor={anchor} canVerify={can(actor.role, "audit.verify")} />

        <AuditFilterForm key={query} filters={filters} actors={facets.actors} actions={facets.actions} />

        {errors.length ? (
          <div
            role="status"
            data-testid="filter-errors"
            className="rounded-md border border-amber-500/50 bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950/30 dark:text-amber-200"
          >
            Ignored: {errors.join("; ")}
          </div>
        ) : null}

        <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <p className="text-zinc-600 dark:text-zinc-400">{hasFilters(filters) ? "Filtered view (the link can be shared)." : "All entries, newest first."}</p>
          {canExport ? (
            <p className="flex gap-3">
              <a href={`/api/audit/export${auditQuery(filters, { format: "csv" })}`} className="text-sky-700 underline dark:text-sky-400" download>
                Export CSV
              </a>
              <a href={`/api/audit/export${auditQuery(filters, { format: "ndjson" })}`} className="text-sky-700 underline dark:text-sky-400" download>
                Export NDJSON (verifiable)
              </a>
            </p>
          ) : null}
        </div>

        {listError ? (
          <div
            role="alert"
            data-testid="audit-error"
            className="rounded-md border border-red-500/50 bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950/30 dark:text-red-200"
          >
            {listError}
          </div>
        ) : list ? (
          <>
            <AuditTable entries={list.entries} query={query} />
            <nav aria-label="Pages" className="flex items-center justify-between text-sm">
              <span>
                {list.newer !== null ? (
                  <>
                    <Link href={`/audit${auditQuery(filters)}`} className="mr-3 text-sky-700 underline dark:text-sky-400">
                      « Newest
                    </Link>
                    <Link
                      href={`/audit${auditQuery(filters, { after: list.newer, limit: page.limit === DEFAULT_PAGE_SIZE ? undefined : page.limit })}`}
                      rel="prev"
                      className="text-sky-700 underline dark:text-sky-400"
                    >
                      ‹ Newer
                    </Link>
                  </>
                ) : list.entries.length === 0 && (page.before !== undefined || page.after !== undefined) ? (
                  <Link href={`/audit${auditQuery(filters)}`} className="text-sky-700 underline dark:text-sky-400">
                    « Newest
                  </Link>
                ) : null}
              </span>
              <span>
                {list.older !== null ? (
                  <Link
                    href={`/audit${auditQuery(filters, { before: list.older, limit: page.limit === DEFAULT_PAGE_SIZE ? undefined : page.limit })}`}
                    rel="next"
                    className="text-sky-700 underline dark:text-sky-400"
                  >
                    Older ›
                  </Link>
                ) : null}
              </span>
            </nav>
          </>
        ) : null}
      </main>
    </>
  );
}
