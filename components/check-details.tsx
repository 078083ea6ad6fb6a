"use client";
/**
 * The detail behind a panel's number: the rows an on-call acts on (stale directives, failed
 * executions, idle sessions) and the inputs of the other checks. Rendered inside a <details>
 * element, so it opens with the keyboard (Enter or Space on its summary) and without JavaScript.
 */
import type { FailedExecution, IdleSession, StaleDirective } from "@/lib/db/queries/trading";
import type { HeartbeatRow } from "@/lib/db/queries/heartbeats";
import type { CheckResult } from "@/lib/recovery/checks/types";
import type { WorkerView } from "@/lib/recovery/checks/worker-rate-limit";
import { formatDateTime, formatDuration, formatValue } from "./format";
import { CancelDirectiveButton } from "./actions/panel-actions";

type Column<T> = { label: string; cell: (row: T) => React.ReactNode; className?: string };

function Table<T>({ caption, rows, columns, rowKey, testId }: { caption: string; rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; testId?: string }) {
  if (rows.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">{caption}: none.</p>;
  return (
    // A scrollable region must be reachable by keyboard (WCAG 2.1.1), hence tabIndex.
    <div className="max-h-80 overflow-auto rounded border border-zinc-200 dark:border-zinc-800" tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full min-w-max border-collapse text-left text-xs" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="sticky top-0 bg-zinc-100 dark:bg-zinc-800">
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className="px-2 py-1 font-semibold">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} className="border-t border-zinc-200 dark:border-zinc-800">
              {columns.map((c) => (
                <td key={c.label} className={`px-2 py-1 align-top tabular-nums ${c.className ?? ""}`}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Facts({ items }: { items: Array<[string, React.ReactNode]> }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
      {items.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{k}</dt>
          <dd className="break-words tabular-nums">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

const age = (s: number | null | undefined) => (s === null || s === undefined ? "—" : formatDuration(s));

function Body({ check, canAct }: { check: CheckResult; canAct: boolean }) {
  const d = check.detail;
  switch (check.id) {
    case "directives_stale_pending": {
      const rows = (d.directives as StaleDirective[] | undefined) ?? [];
      return (
        <>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            The oldest {rows.length} of {formatValue(check.value)} pending for more than {age(d.olderThanSeconds as number)}.
          </p>
          <Table
            caption="Stale pending directives"
            testId="stale-directives"
            rows={rows}
            rowKey={(r) => r.id}
            columns={[
              { label: "id", cell: (r) => r.id },
              { label: "symbol", cell: (r) => r.symbol ?? "—" },
              { label: "created", cell: (r) => <span suppressHydrationWarning>{formatDateTime(r.createdAt)}</span> },
              { label: "pending for", cell: (r) => age(r.ageSeconds) },
              // A single directive can be cancelled from here (the same guarded action, narrowed to one id).
              ...(canAct ? [{ label: "action", cell: (r: StaleDirective) => <CancelDirectiveButton id={r.id} /> }] : []),
            ]}
          />
        </>
      );
    }
    case "executions_failed": {
      const rows = (d.executions as FailedExecution[] | undefined) ?? [];
      return (
        <>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            The latest {rows.length} of {formatValue(check.value)} failed executions in the last hour.
          </p>
          <Table
            caption="Failed executions"
            testId="failed-executions"
            rows={rows}
            rowKey={(r) => r.id}
            columns={[
              { label: "id", cell: (r) => r.id },
              { label: "directive", cell: (r) => r.directiveId ?? "—" },
              { label: "error", cell: (r) => r.error ?? "—", className: "max-w-64 whitespace-normal break-words" },
              { label: "at", cell: (r) => <span suppressHydrationWarning>{formatDateTime(r.createdAt)}</span> },
              { label: "ago", cell: (r) => age(r.ageSeconds) },
            ]}
          />
        </>
      );
    }
    case "idle_transactions": {
      const rows = (d.sessions as Partial<IdleSession>[] | undefined) ?? [];
      // Without health.details the server removed these fields (lib/recovery/redact.ts): their columns go.
      const hidden = new Set((d.hidden as string[] | undefined) ?? []);
      const shown = <C,>(field: string, columns: C[]): C[] => (hidden.has(field) ? [] : columns);
      return (
        <>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            Idle measured from <code>state_change</code> (when the session went idle): {formatValue(check.value)}. The runbook&apos;s query measures from{" "}
            <code>query_start</code>: {formatValue(d.runbookCount)}.
          </p>
          {hidden.size > 0 && (
            <p className="text-xs text-zinc-600 dark:text-zinc-400" data-testid="details-hidden">
              SQL text, database users and client addresses are hidden: they need the <code>health.details</code> permission (on-call, admin).
            </p>
          )}
          <Table
            caption="Sessions idle in transaction"
            testId="idle-sessions"
            rows={rows}
            rowKey={(r) => String(r.pid)}
            columns={[
              { label: "pid", cell: (r) => r.pid },
              { label: "database", cell: (r) => r.database ?? "—" },
              ...shown("user", [{ label: "user", cell: (r: Partial<IdleSession>) => r.user ?? "—" }]),
              { label: "application", cell: (r) => r.application || "—" },
              ...shown("client", [{ label: "client", cell: (r: Partial<IdleSession>) => r.client ?? "local" }]),
              { label: "idle (state_change)", cell: (r) => age(r.idleSeconds) },
              { label: "since query_start", cell: (r) => age(r.querySeconds) },
              { label: "transaction age", cell: (r) => age(r.xactSeconds) },
              ...shown("query", [{ label: "query", cell: (r: Partial<IdleSession>) => <code className="block max-w-80 truncate" title={r.query}>{r.query}</code> }]),
              { label: "terminable", cell: (r) => (r.excluded ? `no (${r.excluded.replace(/_/g, " ")})` : "yes") },
            ]}
          />
        </>
      );
    }
    case "db_connections": {
      const rows = (d.byState as { state: string | null; count: number; clientBackends: number }[] | undefined) ?? [];
      return (
        <>
          <Facts
            items={[
              ["in use", `${formatValue(check.value)} of ${formatValue(d.maxConnections)} (${formatValue(d.percent)} %)`],
              ["client backends", formatValue(d.clientBackends)],
              ["superuser reserved", formatValue(d.superuserReserved)],
              ["reserved for the console's role", formatValue(d.reservedConnections)],
              ["open to applications", formatValue(d.openToApplications)],
              ["sees every session", d.seesAllSessions ? "yes" : "no: grant pg_monitor to the console's role"],
            ]}
          />
          <Table
            caption="Connections by state (runbook scenario 3, step 1)"
            testId="connections-by-state"
            rows={rows}
            rowKey={(r) => r.state ?? "(null)"}
            columns={[
              { label: "state", cell: (r) => r.state ?? "(none: background process)" },
              { label: "count", cell: (r) => r.count },
              { label: "client backends", cell: (r) => r.clientBackends },
            ]}
          />
        </>
      );
    }
    case "worker_rate_limit": {
      const rows = (d.workers as WorkerView[] | undefined) ?? [];
      return (
        <Table
          caption="Workers"
          testId="workers"
          rows={rows}
          rowKey={(r) => r.name}
          columns={[
            { label: "worker", cell: (r) => r.name },
            { label: "state", cell: (r) => r.state.replace(/_/g, " ") },
            { label: "last answer", cell: (r) => (r.lastStatus === null ? (r.message ?? "—") : `HTTP ${r.lastStatus}`) },
            { label: `429s (${age(d.windowSeconds as number)})`, cell: (r) => r.rateLimitedInWindow },
            { label: "Retry-After", cell: (r) => (r.retryAfterSeconds === null ? "—" : `${r.retryAfterSeconds} s`) },
            { label: "next probe", cell: (r) => (r.nextProbeAt ? <span suppressHydrationWarning>{formatDateTime(r.nextProbeAt)}</span> : "—") },
            { label: "url", cell: (r) => <code>{r.url}</code> },
          ]}
        />
      );
    }
    case "ea_heartbeat": {
      const rows = (d.instances as (HeartbeatRow & { fresh: boolean })[] | undefined) ?? [];
      const eventsError = d.executionEventsError as { message: string } | undefined;
      return (
        <>
          <Facts
            items={[
              ["fresh when younger than", age(d.staleSeconds as number)],
              ["newest execution event", eventsError ? `unknown (${eventsError.message})` : d.newestExecutionEventAgeSeconds === null ? "none yet" : `${age(d.newestExecutionEventAgeSeconds as number)} ago`],
            ]}
          />
          <Table
            caption="EA instances"
            testId="ea-instances"
            rows={rows}
            rowKey={(r) => r.instance}
            columns={[
              { label: "instance", cell: (r) => r.instance },
              { label: "role", cell: (r) => r.role },
              { label: "state", cell: (r) => (r.fresh ? "fresh" : "silent") },
              { label: "last heartbeat", cell: (r) => `${age(r.ageSeconds)} ago` },
              { label: "beats", cell: (r) => r.beats },
              { label: "version", cell: (r) => r.version ?? "—" },
            ]}
          />
        </>
      );
    }
    case "circuit_breaker":
      return (
        <Facts
          items={[
            ["state", formatValue(d.state)],
            ["failures", formatValue(d.failures)],
            ["opened at", d.openedAt ? <span suppressHydrationWarning>{formatDateTime(d.openedAt as string)}</span> : "—"],
            ["last reset", d.lastResetAt ? <span suppressHydrationWarning>{formatDateTime(d.lastResetAt as string)}</span> : "—"],
            ["processing", formatValue(d.processing)],
          ]}
        />
      );
    case "signals_recent":
      return (
        <Facts
          items={[
            ["window", age(d.windowSeconds as number)],
            ["newest signal", d.newestAgeSeconds === null || d.newestAgeSeconds === undefined ? "none ever" : `${age(d.newestAgeSeconds as number)} ago`],
          ]}
        />
      );
    default:
      return (
        <Facts
          items={Object.entries(d)
            .filter(([, v]) => typeof v !== "object" || v === null)
            .map(([k, v]) => [k, formatValue(v)])}
        />
      );
  }
}

/** How many rows the detail lists, for the summary line. */
function rowCount(check: CheckResult): number | null {
  const d = check.detail;
  const list = d.directives ?? d.executions ?? d.sessions ?? d.instances ?? d.workers ?? d.byState;
  return Array.isArray(list) ? list.length : null;
}

export function CheckDetails({ check, canAct = false }: { check: CheckResult; canAct?: boolean }) {
  const configured = check.detail.configured !== false;
  if (!configured) {
    return <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">To enable: {String(check.detail.hint ?? "see the README")}.</p>;
  }
  if (check.status === "unknown" && Object.keys(check.detail).length === 0) return null;
  const n = rowCount(check);
  return (
    <details className="group mt-3" data-testid="details">
      <summary className="cursor-pointer rounded text-sm font-medium text-sky-700 select-none hover:underline dark:text-sky-400">
        Details{n !== null ? ` (${n} ${n === 1 ? "row" : "rows"})` : ""}
      </summary>
      <div className="mt-2 space-y-2">
        <Body check={check} canAct={canAct} />
      </div>
    </details>
  );
}
