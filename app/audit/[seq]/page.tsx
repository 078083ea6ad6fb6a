import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppHeader } from "@/components/app-header";
import { EntryDetail } from "@/components/audit/entry-detail";
import { DbError } from "@/lib/db/errors";
import { readAuditEntry } from "@/lib/recovery/data";
import { auditQuery, parseAuditFilters } from "@/lib/recovery/audit/filters";
import { GENESIS_HASH, hashEntry } from "@/lib/recovery/audit/hash";
import { requirePageActor } from "@/lib/recovery/access/authz";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ seq: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { seq } = await params;
  return { title: `Audit #${seq}` };
}

export default async function AuditEntryPage({ params, searchParams }: Props) {
  const { seq: raw } = await params;
  const actor = await requirePageActor("audit.read", `/audit/${raw}`);
  const seq = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 1) notFound();
  // Back to the list with the filters the auditor came from.
  const listHref = `/audit${auditQuery(parseAuditFilters(await searchParams).filters)}`;

  let view;
  let error: string | null = null;
  try {
    view = await readAuditEntry(seq);
  } catch (err) {
    console.error(`[audit] could not read entry ${seq}:`, err);
    error = err instanceof DbError ? err.publicMessage : "The entry could not be read (audit.read_failed).";
  }
  if (!error && !view) notFound();

  let hashOk = false;
  let linkOk: boolean | null = null;
  if (view) {
    // The hashed columns are the table's (lib/db/audit-columns.ts): hashEntry takes them from the entry.
    const { hash, prevHash } = view.entry;
    hashOk = hashEntry(prevHash, view.entry) === hash;
    linkOk = seq === 1 ? (prevHash === GENESIS_HASH ? null : false) : view.previousHash === prevHash;
  }

  return (
    <>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-5xl space-y-4 p-4">
        <nav aria-label="Breadcrumb" className="text-sm">
          <Link href={listHref} className="text-sky-700 underline dark:text-sky-400">
            ‹ Audit trail
          </Link>
        </nav>
        <h1 className="text-xl font-semibold">
          Audit entry <span className="font-mono">#{seq}</span>
          {view ? <span className="ml-2 font-mono text-base font-normal text-zinc-600 dark:text-zinc-400">{view.entry.action}</span> : null}
        </h1>
        {error ? (
          <div
            role="alert"
            data-testid="audit-error"
            className="rounded-md border border-red-500/50 bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950/30 dark:text-red-200"
          >
            {error}
          </div>
        ) : view ? (
          <EntryDetail view={view} hashOk={hashOk} linkOk={linkOk} listHref={listHref} />
        ) : null}
      </main>
    </>
  );
}
