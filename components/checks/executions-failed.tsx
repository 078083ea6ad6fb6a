import type { ExecutionsFailedDetail } from "@/lib/recovery/health/checks/executions-failed";
import { formatValue } from "../format";
import { Time } from "../time";
import { age, Table } from "./parts";
import type { CheckRenderer } from "./types";

export const executionsFailedRenderer: CheckRenderer<ExecutionsFailedDetail> = {
  rowCount: (d) => (Array.isArray(d.executions) ? d.executions.length : null),
  Body({ check, detail: d }) {
    const rows = d.executions ?? [];
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
            { label: "at", cell: (r) => <Time iso={r.createdAt} /> },
            { label: "ago", cell: (r) => age(r.ageSeconds) },
          ]}
        />
      </>
    );
  },
};
