import type { CheckResult, NotConfiguredDetail } from "@/lib/recovery/health/checks/types";

/**
 * How a check's detail is shown, typed by the detail its module yields (a configured reading's:
 * the panel says how to configure the others before a renderer is asked).
 */
export type CheckRenderer<Detail> = {
  // Properties, not methods, so the detail type is checked strictly (methods' parameters are bivariant).
  Body: (props: { check: CheckResult; detail: Exclude<Detail, NotConfiguredDetail>; canAct: boolean }) => React.ReactNode;
  /** How many rows the detail lists, for the "Details (n rows)" line; absent when it lists none. */
  rowCount?: (detail: Exclude<Detail, NotConfiguredDetail>) => number | null;
};
