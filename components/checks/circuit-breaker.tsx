import type { CircuitBreakerDetail } from "@/lib/recovery/health/checks/circuit-breaker";
import { formatDateTime, formatValue } from "../format";
import { Facts } from "./parts";
import type { CheckRenderer } from "./types";

export const circuitBreakerRenderer: CheckRenderer<CircuitBreakerDetail> = {
  Body({ detail: d }) {
    return (
      <Facts
        items={[
          ["state", formatValue(d.state)],
          ["failures", formatValue(d.failures)],
          ["opened at", d.openedAt ? <span suppressHydrationWarning>{formatDateTime(d.openedAt)}</span> : "—"],
          ["last reset", d.lastResetAt ? <span suppressHydrationWarning>{formatDateTime(d.lastResetAt)}</span> : "—"],
          ["processing", formatValue(d.processing)],
        ]}
      />
    );
  },
};
