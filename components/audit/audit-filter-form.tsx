"use client";
/**
 * The audit view's filters. The URL is the state: submitting navigates to /audit?<filters>, so a
 * filtered view is a link one can share. Times are typed in the viewer's time zone and written to
 * the URL as UTC instants (one instant for everyone who opens the link). Without JavaScript the
 * form still submits, and times are then read as UTC.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useSyncExternalStore } from "react";
import { AUDIT_OUTCOMES, auditQuery, OUTCOME_UNKNOWN, type AuditFilters } from "@/lib/recovery/audit/filters";

const noSubscribe = () => () => {};
const pad = (n: number) => String(n).padStart(2, "0");

/** ISO instant → the value of a datetime-local input, in the viewer's zone. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A datetime-local value (viewer's zone) → ISO instant. */
function fromLocalInput(v: FormDataEntryValue | null): string | undefined {
  if (typeof v !== "string" || !v) return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

const field = "rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900";
const label = "flex flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400";

export function AuditFilterForm({ filters, actors, actions }: { filters: AuditFilters; actors: string[]; actions: string[] }) {
  const router = useRouter();
  const id = useId();
  const isClient = useSyncExternalStore(
    noSubscribe,
    () => true,
    () => false,
  );

  function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (k: string) => {
      const v = form.get(k);
      return typeof v === "string" && v.trim() ? v.trim() : undefined;
    };
    const next: AuditFilters = {
      from: fromLocalInput(form.get("from")),
      to: fromLocalInput(form.get("to")),
      actor: text("actor"),
      action: text("action"),
      outcome: text("outcome") as AuditFilters["outcome"],
      incident: text("incident"),
      q: text("q"),
    };
    router.push(`/audit${auditQuery(next)}`);
  }

  return (
    <form
      method="get"
      action="/audit"
      onSubmit={submit}
      aria-label="Filter the audit trail"
      className="grid grid-cols-2 gap-3 rounded-lg border border-zinc-200 bg-white p-3 sm:grid-cols-4 lg:grid-cols-8 dark:border-zinc-800 dark:bg-zinc-900"
    >
      {/* Remount the time inputs once the viewer's zone is known (the server renders them empty). */}
      <label className={label} key={`from-${isClient}`}>
        From
        <input type="datetime-local" step={1} name="from" defaultValue={isClient ? toLocalInput(filters.from) : ""} className={field} />
      </label>
      <label className={label} key={`to-${isClient}`}>
        To
        <input type="datetime-local" step={1} name="to" defaultValue={isClient ? toLocalInput(filters.to) : ""} className={field} />
      </label>
      <label className={label}>
        Actor
        <input name="actor" list={`${id}-actors`} defaultValue={filters.actor ?? ""} placeholder="email" autoComplete="off" className={field} />
        <datalist id={`${id}-actors`}>
          {actors.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label className={label}>
        Action
        <input name="action" list={`${id}-actions`} defaultValue={filters.action ?? ""} placeholder="e.g. users.*" autoComplete="off" className={field} />
        <datalist id={`${id}-actions`}>
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label className={label}>
        Outcome
        <select name="outcome" defaultValue={filters.outcome ?? ""} className={field}>
          <option value="">any</option>
          {AUDIT_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
          <option value={OUTCOME_UNKNOWN}>outcome unknown</option>
        </select>
      </label>
      <label className={label}>
        Incident ref
        <input name="incident" defaultValue={filters.incident ?? ""} autoComplete="off" className={field} />
      </label>
      <label className={label}>
        Reason contains
        <input name="q" type="search" defaultValue={filters.q ?? ""} autoComplete="off" className={field} />
      </label>
      <div className="flex items-end gap-2">
        <button type="submit" className="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800">
          Filter
        </button>
        <Link href="/audit" className="px-1 py-1.5 text-sm text-sky-700 underline dark:text-sky-400">
          Clear
        </Link>
      </div>
    </form>
  );
}
