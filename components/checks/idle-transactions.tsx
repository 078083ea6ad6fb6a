import type { IdleTransactionsDetail } from "@/lib/recovery/health/checks/idle-transactions";
import { formatValue } from "../format";
import { age, Table } from "./parts";
import type { CheckRenderer } from "./types";

type Session = IdleTransactionsDetail["sessions"][number];

export const idleTransactionsRenderer: CheckRenderer<IdleTransactionsDetail> = {
  rowCount: (d) => (Array.isArray(d.sessions) ? d.sessions.length : null),
  Body({ check, detail: d }) {
    const rows = d.sessions ?? [];
    // Without health.details the server removed these fields (lib/recovery/access/redact.ts): their columns go.
    const hidden = new Set(d.hidden ?? []);
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
            ...shown("user", [{ label: "user", cell: (r: Session) => r.user ?? "—" }]),
            { label: "application", cell: (r) => r.application || "—" },
            ...shown("client", [{ label: "client", cell: (r: Session) => r.client ?? "local" }]),
            { label: "idle (state_change)", cell: (r) => age(r.idleSeconds) },
            { label: "since query_start", cell: (r) => age(r.querySeconds) },
            { label: "transaction age", cell: (r) => age(r.xactSeconds) },
            ...shown("query", [{ label: "query", cell: (r: Session) => <code className="block max-w-80 whitespace-pre-wrap break-all">{r.query}</code> }]),
            { label: "terminable", cell: (r) => (r.excluded ? `no (${r.excluded.replace(/_/g, " ")})` : "yes") },
          ]}
        />
      </>
    );
  },
};
