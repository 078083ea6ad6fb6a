import type { DbConnectionsDetail } from "@/lib/recovery/health/checks/db-connections";
import { formatValue } from "../format";
import { Facts, Table } from "./parts";
import type { CheckRenderer } from "./types";

export const dbConnectionsRenderer: CheckRenderer<DbConnectionsDetail> = {
  rowCount: (d) => (Array.isArray(d.byState) ? d.byState.length : null),
  Body({ check, detail: d }) {
    const rows = d.byState ?? [];
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
  },
};
