import type { EaHeartbeatDetail } from "@/lib/recovery/health/checks/ea-heartbeat";
import { age, Facts, Table } from "./parts";
import type { CheckRenderer } from "./types";

export const eaHeartbeatRenderer: CheckRenderer<EaHeartbeatDetail> = {
  rowCount: (d) => (Array.isArray(d.instances) ? d.instances.length : null),
  Body({ detail: d }) {
    const rows = d.instances ?? [];
    const eventsError = d.executionEventsError;
    return (
      <>
        <Facts
          items={[
            ["fresh when younger than", age(d.staleSeconds)],
            [
              "newest execution event",
              eventsError
                ? `unknown (${eventsError.message})`
                : d.newestExecutionEventAgeSeconds === null
                  ? "none yet"
                  : `${age(d.newestExecutionEventAgeSeconds)} ago`,
            ],
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
  },
};
