/**
 * A ninth check, as a contributor would add one: a module (its reading, thresholds, runbook
 * scenario, status area, actions and detail type) and a renderer typed by that detail. Used by
 * tests/db/ninth-check.test.ts, which registers both with one line each.
 */
import { Facts } from "@/components/checks/parts";
import type { CheckRenderer } from "@/components/checks/types";
import type { CheckModule } from "@/lib/recovery/health/checks/types";

export type NinthCheckDetail = { backlog: number; limit: number; oldestJob: string };

export const ninthCheck: CheckModule<"ninth_check", NinthCheckDetail> = {
  id: "ninth_check",
  title: "Report queue backlog",
  metricUnit: "jobs",
  scenario: null,
  area: "execution",
  actions: [],
  reads: ["http"],
  async run() {
    const backlog = 7;
    const limit = 5;
    return {
      status: backlog >= limit ? "critical" : "ok",
      value: backlog,
      unit: "jobs",
      summary: `${backlog} reports queued`,
      threshold: `critical from ${limit} queued`,
      detail: { backlog, limit, oldestJob: "report-42" },
    };
  },
};

export const ninthRenderer: CheckRenderer<NinthCheckDetail> = {
  Body({ detail }) {
    return (
      <div data-testid="ninth-detail">
        <Facts
          items={[
            ["queued", detail.backlog],
            ["oldest job", detail.oldestJob],
          ]}
        />
      </div>
    );
  },
};
