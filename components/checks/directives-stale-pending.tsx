import type { StaleDirective } from "@/lib/db/queries/trading";
import type { DirectivesStalePendingDetail } from "@/lib/recovery/health/checks/directives-stale-pending";
import { CancelDirectiveButton } from "../actions/panel-actions";
import { formatValue } from "../format";
import { Time } from "../time";
import { age, Table } from "./parts";
import type { CheckRenderer } from "./types";

export const directivesStalePendingRenderer: CheckRenderer<DirectivesStalePendingDetail> = {
  rowCount: (d) => (Array.isArray(d.directives) ? d.directives.length : null),
  Body({ check, detail: d, canAct }) {
    const rows = d.directives ?? [];
    return (
      <>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          The oldest {rows.length} of {formatValue(check.value)} pending for more than {age(d.olderThanSeconds)}.
        </p>
        <Table
          caption="Stale pending directives"
          testId="stale-directives"
          rows={rows}
          rowKey={(r) => r.id}
          columns={[
            { label: "id", cell: (r) => r.id },
            { label: "symbol", cell: (r) => r.symbol ?? "—" },
            { label: "created", cell: (r) => <Time iso={r.createdAt} /> },
            { label: "pending for", cell: (r) => age(r.ageSeconds) },
            // A single directive can be cancelled from here (the same guarded action, narrowed to one id).
            ...(canAct ? [{ label: "action", cell: (r: StaleDirective) => <CancelDirectiveButton id={r.id} /> }] : []),
          ]}
        />
      </>
    );
  },
};
