import type { WorkerRateLimitDetail } from "@/lib/recovery/health/checks/worker-rate-limit";
import { Time } from "../time";
import { age, Table } from "./parts";
import type { CheckRenderer } from "./types";

export const workerRateLimitRenderer: CheckRenderer<WorkerRateLimitDetail> = {
  rowCount: (d) => (Array.isArray(d.workers) ? d.workers.length : null),
  Body({ detail: d }) {
    const rows = d.workers ?? [];
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
          { label: `429s (${age(d.windowSeconds)})`, cell: (r) => r.rateLimitedInWindow },
          { label: "Retry-After", cell: (r) => (r.retryAfterSeconds === null ? "—" : `${r.retryAfterSeconds} s`) },
          { label: "next probe", cell: (r) => (r.nextProbeAt ? <Time iso={r.nextProbeAt} /> : "—") },
          { label: "url", cell: (r) => <code>{r.url}</code> },
        ]}
      />
    );
  },
};
