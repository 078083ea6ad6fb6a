import Link from "next/link";
import type { AuditEntryView } from "@/lib/db/queries/audit";
import { AUDIT_BODY_COLUMNS, auditBodyOf } from "@/lib/recovery/audit/hash";
import { JsonView } from "./json-view";
import { Time } from "../time";
import { OutcomeBadge, OutcomeUnknownFlag } from "./outcome-badge";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <section data-testid={testId} className="rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
      <h2 className="mb-2 text-sm font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function Fields({ rows }: { rows: [string, React.ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{k}</dt>
          <dd className="min-w-0 break-words" data-testid={`field-${k.toLowerCase().replace(/[^a-z]+/g, "-")}`}>
            {v === null || v === undefined || v === "" ? <span className="text-zinc-400">—</span> : v}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Per-target outcomes: `{ items: [{target, outcome, detail}], total, truncated }` or a bare list. */
function PerTarget({ value }: { value: unknown }) {
  const items = Array.isArray(value) ? value : isObj(value) && Array.isArray(value.items) ? value.items : null;
  if (!items) return <JsonView value={value} />;
  const total = isObj(value) && typeof value.total === "number" ? value.total : items.length;
  const rows = items.filter(isObj);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="space-y-1">
      {total > items.length ? (
        <p className="text-xs text-zinc-600">
          Showing {items.length} of {total} targets (the entry records at most this many).
        </p>
      ) : null}
      {rows.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">no targets</p>
      ) : (
        <table className="w-full text-left text-sm">
          <thead className="text-xs text-zinc-600 dark:text-zinc-400">
            <tr>
              {keys.map((k) => (
                <th key={k} scope="col" className="py-1 pr-3">
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} className="border-t border-zinc-100 dark:border-zinc-800">
                {keys.map((k) => (
                  <td key={k} className="py-1 pr-3 font-mono text-xs">
                    {text(r[k])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const KNOWN_DETAIL = new Set(["preview", "perTarget", "before", "after", "error", "durationMs", "authTime", "message"]);

export function EntryDetail({ view, hashOk, linkOk, listHref }: { view: AuditEntryView; hashOk: boolean; linkOk: boolean | null; listHref: string }) {
  const e = view.entry;
  const detail = isObj(e.detail) ? e.detail : null;
  const request = isObj(e.request) ? e.request : null;
  const otherDetail = detail ? Object.fromEntries(Object.entries(detail).filter(([k]) => !KNOWN_DETAIL.has(k))) : null;
  const beforeAfter = detail && ("before" in detail || "after" in detail);
  return (
    <div className="space-y-3">
      <Section title="Entry" testId="entry-summary">
        <Fields
          rows={[
            [
              "Seq",
              <span key="s" className="font-mono">
                #{e.seq}
              </span>,
            ],
            ["Time", <Time key="t" iso={e.at} />],
            ["Actor", e.actorEmail ? `${e.actorEmail}${e.actorRole ? ` (${e.actorRole})` : ""}` : "anonymous"],
            ["Actor id", e.actorId],
            [
              "Action",
              <span key="a" className="font-mono">
                {e.action}
              </span>,
            ],
            ["Phase", e.phase],
            [
              "Outcome",
              <span key="o" className="inline-flex flex-wrap items-center gap-1">
                <OutcomeBadge outcome={e.outcome} />
                {e.outcomeUnknown ? <OutcomeUnknownFlag /> : null}
              </span>,
            ],
            [
              e.phase === "outcome" ? "Intent" : "Outcome entries",
              e.phase === "outcome" ? (
                view.intent ? (
                  <Link key="i" href={`/audit/${view.intent.seq}`} className="text-sky-700 underline dark:text-sky-400">
                    #{view.intent.seq} ({view.intent.outcome})
                  </Link>
                ) : e.intentSeq !== null ? (
                  `#${e.intentSeq} (not found)`
                ) : null
              ) : e.phase === "intent" ? (
                view.outcomes.length ? (
                  <span key="os" className="flex gap-2">
                    {view.outcomes.map((o) => (
                      <Link key={o.seq} href={`/audit/${o.seq}`} className="text-sky-700 underline dark:text-sky-400">
                        #{o.seq} ({o.outcome})
                      </Link>
                    ))}
                  </span>
                ) : (
                  "none recorded: outcome unknown"
                )
              ) : null,
            ],
            ["Reason", e.reason],
            ["Incident ref", e.incidentRef],
            ["Message", text(detail?.message)],
            [
              "Error",
              detail?.error ? (
                <span key="err" className="text-red-700 dark:text-red-300">
                  {text(detail.error)}
                </span>
              ) : null,
            ],
            ["Duration", typeof detail?.durationMs === "number" ? `${detail.durationMs} ms` : null],
            ["Signed in at", typeof detail?.authTime === "string" ? <Time key="auth" iso={detail.authTime} /> : null],
          ]}
        />
      </Section>

      <Section title="Parameters" testId="entry-params">
        <JsonView value={e.params} />
      </Section>

      {detail && "preview" in detail ? (
        <Section title="Preview (what the action was shown to touch)" testId="entry-preview">
          <JsonView value={detail.preview} />
        </Section>
      ) : null}

      {detail && "perTarget" in detail ? (
        <Section title="Per-target outcomes" testId="entry-per-target">
          <PerTarget value={detail.perTarget} />
        </Section>
      ) : null}

      {beforeAfter ? (
        <Section title="Before and after" testId="entry-before-after">
          <div className="grid gap-3 md:grid-cols-2">
            <div>
              <h3 className="mb-1 text-xs font-semibold text-zinc-600 uppercase">Before</h3>
              <JsonView value={detail?.before} />
            </div>
            <div>
              <h3 className="mb-1 text-xs font-semibold text-zinc-600 uppercase">After</h3>
              <JsonView value={detail?.after} />
            </div>
          </div>
        </Section>
      ) : null}

      {otherDetail && Object.keys(otherDetail).length ? (
        <Section title="Other detail" testId="entry-detail">
          <JsonView value={otherDetail} />
        </Section>
      ) : null}

      <Section title="Request" testId="entry-request">
        {request ? (
          <Fields
            rows={[
              ["Request id", text(request.requestId)],
              ["IP", text(request.ip)],
              ["User agent", text(request.userAgent)],
              ["Path", text(request.path)],
            ]}
          />
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No request metadata (written by a script or the server itself).</p>
        )}
      </Section>

      <Section title="Integrity" testId="entry-integrity">
        <Fields
          rows={[
            [
              "Seq",
              <span key="s" className="font-mono">
                {e.seq}
              </span>,
            ],
            [
              "Entry id",
              <span key="id" className="font-mono text-xs">
                {e.id}
              </span>,
            ],
            [
              "Previous hash",
              <span key="p" className="font-mono text-xs break-all">
                {e.prevHash}
              </span>,
            ],
            [
              "Hash",
              <span key="h" className="font-mono text-xs break-all" data-testid="entry-hash">
                {e.hash}
              </span>,
            ],
            [
              "Hashed columns",
              // The table's columns but prev_hash and hash (lib/db/audit-columns.ts), as hashed.
              <details key="hc" data-testid="entry-hashed-body">
                <summary className="cursor-pointer font-mono text-xs">{AUDIT_BODY_COLUMNS.map((c) => c.name).join(", ")}</summary>
                <JsonView value={auditBodyOf(e)} />
              </details>,
            ],
            [
              "Own hash",
              hashOk ? (
                <span key="ho" className="text-green-800 dark:text-green-300">
                  ✓ matches the entry&apos;s content
                </span>
              ) : (
                <span key="ho" className="font-semibold text-red-800 dark:text-red-300">
                  ✕ does not match the content: this entry was changed
                </span>
              ),
            ],
            [
              "Link",
              linkOk === null ? (
                "first entry (links to the genesis hash)"
              ) : linkOk ? (
                <span key="l" className="text-green-800 dark:text-green-300">
                  ✓ links to #{e.seq - 1}
                </span>
              ) : (
                <span key="l" className="font-semibold text-red-800 dark:text-red-300">
                  ✕ does not link to #{e.seq - 1} (missing or changed)
                </span>
              ),
            ],
          ]}
        />
        <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
          These checks cover this entry and its neighbour only; the whole chain and its anchor are checked by &quot;Verify now&quot; on the{" "}
          <Link href={listHref} className="underline">
            audit trail
          </Link>
          .
        </p>
      </Section>
    </div>
  );
}
