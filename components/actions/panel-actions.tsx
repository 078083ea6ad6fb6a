"use client";
import type { CheckResult } from "@/lib/recovery/checks/types";

/**
 * The recovery actions that treat a panel's symptom (issue: guarded recovery actions).
 * Rendered by CheckPanel; shows nothing until the actions land.
 */
export function PanelActions(_props: { check: CheckResult; canAct: boolean }) {
  return null;
}
