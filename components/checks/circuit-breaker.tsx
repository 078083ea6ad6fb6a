import type { CircuitBreakerDetail } from "@/lib/recovery/health/checks/circuit-breaker";
import { formatValue } from "../format";
import { Time } from "../time";
import { Facts } from "./parts";
import type { CheckRenderer } from "./types";

export const circuitBreakerRenderer: CheckRenderer<CircuitBreakerDetail> = {
  Body({ detail: d }) {
    return (
      <Facts
        items={[
          ["state", formatValue(d.state)],
          ["failures", formatValue(d.failures)],
          ["opened at", d.openedAt ? <Time iso={d.openedAt} /> : "—"],
          ["last reset", d.lastResetAt ? <Time iso={d.lastResetAt} /> : "—"],
          ["processing", formatValue(d.processing)],
        ]}
      />
    );
  },
};
