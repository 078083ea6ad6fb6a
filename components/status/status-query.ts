"use client";
import type { StatusDto } from "@/lib/recovery/health/status";
import { useLiveQuery } from "../data/fetch-json";
import { keys } from "../data/keys";

/** The stakeholder status, polled at the server's refresh interval. */
export function useStatus(initial: StatusDto) {
  return useLiveQuery(keys.status(), "/api/status", initial, (d) => d.refreshSeconds * 1000);
}
