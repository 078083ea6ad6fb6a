import Link from "next/link";
import type { AuditListEntry } from "@/lib/db/queries/audit";
import { Time } from "../time";
import { OutcomeBadge, OutcomeUnknownFlag } from "./outcome-badge";

/** One page of audit entries, newest first; each row opens its detail (the filters ride along). */
export function AuditTable({ entries, query }: { entries: AuditListEntry[]; query: string }) {
  if (entries.length === 0) {
    return (
      <p
        data-testid="audit-empty"
        className="rounded-lg border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400"
      >
        No entries match these filters.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Audit entries, newest first</caption>
        <thead className="border-b border-zinc-200 text-xs text-zinc-600 uppercase dark:border-zinc-800 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-3 py-2">
              Seq
            </th>
            <th scope="col" className="px-3 py-2">
              Time
            </th>
            <th scope="col" className="px-3 py-2">
              Actor
            </th>
            <th scope="col" className="px-3 py-2">
              Action
            </th>
            <th scope="col" className="px-3 py-2">
              Outcome
            </th>
            <th scope="col" className="px-3 py-2">
              Reason
            </th>
            <th scope="col" className="px-3 py-2">
              Incident
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr
              key={e.seq}
              data-testid="audit-row"
              data-seq={e.seq}
              className="border-b border-zinc-100 align-top last:border-0 hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/50"
            >
              <td className="px-3 py-2 font-mono">
                <Link href={`/audit/${e.seq}${query}`} className="text-sky-700 underline dark:text-sky-400">
                  #{e.seq}
                </Link>
              </td>
              <td className="px-3 py-2">
                <Time iso={e.at} />
              </td>
              <td className="px-3 py-2" data-testid="actor">
                {e.actorEmail ?? <span className="text-zinc-600 dark:text-zinc-400">anonymous</span>}
                {e.actorRole ? <span className="ml-1 text-xs text-zinc-600 dark:text-zinc-400">({e.actorRole})</span> : null}
              </td>
              <td className="px-3 py-2 font-mono text-xs" data-testid="action">
                {e.action}
                {e.phase !== "event" ? <span className="ml-1 font-sans text-zinc-600 dark:text-zinc-400">· {e.phase}</span> : null}
              </td>
              <td className="px-3 py-2">
                <div className="flex flex-wrap items-center gap-1">
                  <OutcomeBadge outcome={e.outcome} />
                  {e.outcomeUnknown ? <OutcomeUnknownFlag /> : null}
                  {e.resolution ? (
                    <span className="text-xs text-zinc-600 dark:text-zinc-400">
                      → {e.resolution.outcome} (#{e.resolution.seq})
                    </span>
                  ) : null}
                  {e.phase === "outcome" && e.intentSeq !== null ? <span className="text-xs text-zinc-600 dark:text-zinc-400">of #{e.intentSeq}</span> : null}
                </div>
              </td>
              <td className="max-w-xs truncate px-3 py-2" title={e.reason ?? undefined}>
                {e.reason}
              </td>
              <td className="px-3 py-2">{e.incidentRef}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
