import "server-only";
/**
 * ea_heartbeat: runbook scenario 5 (MT5 EA Disconnected), symptoms "No execution confirmations,
 * directive timeouts", with the runbook's prevention "Implement heartbeat mechanism, dual EA setup".
 * Each EA instance POSTs /api/heartbeat (bearer EA_HEARTBEAT_TOKEN) and the console keeps one row
 * per instance in its own store. An instance is fresh when its last heartbeat is younger than
 * EA_HEARTBEAT_STALE_SECONDS. Critical when no instance is fresh, warn when only a backup is
 * (runbook step 5, "Failover to backup EA instance"). The value is the age of the freshest
 * heartbeat; the detail adds the age of the newest execution_events row (any status), the
 * runbook's "execution confirmations", read from the trading DB. When the trading DB cannot be
 * read, the heartbeats still decide the status. Right after the console (re)starts, no heartbeat
 * may have reached it yet (none while it was down): until one arrives, and for at most
 * CHECK_WARMUP_SECONDS, the check is pending (unknown), not critical (warmup.ts).
 */
import { env } from "../../../env.ts";
import { listHeartbeats, type HeartbeatRow } from "../../../db/queries/heartbeats.ts";
import { getNewestExecutionEventAge, newestExecutionEventQuery } from "../../../db/queries/trading.ts";
import { DbError } from "../../../db/errors.ts";
import { formatAge, notConfigured } from "./format.ts";
import { duringWarmup, processStartedAt } from "./warmup.ts";
import type { CheckModule, CheckStatus, NotConfiguredDetail } from "./types.ts";

export function classifyHeartbeats(instances: Pick<HeartbeatRow, "role" | "ageSeconds">[], staleSeconds: number): CheckStatus {
  const fresh = instances.filter((i) => i.ageSeconds < staleSeconds);
  if (fresh.some((i) => i.role === "primary")) return "ok";
  return fresh.length ? "warn" : "critical";
}

export type EaHeartbeatDetail = {
  staleSeconds: number;
  instances: Array<HeartbeatRow & { fresh: boolean }>;
  newestExecutionEventAgeSeconds: number | null;
  executionEventsError?: { code: string; message: string };
};

export const eaHeartbeat: CheckModule<"ea_heartbeat", EaHeartbeatDetail | NotConfiguredDetail> = {
  id: "ea_heartbeat",
  title: "EA heartbeat",
  metricUnit: "seconds",
  scenario: 5,
  area: "execution",
  actions: [],
  reads: ["console_store", "trading_tables"],
  queries: () => [
    {
      id: "ea_heartbeat.newest_execution_event",
      check: "ea_heartbeat",
      source: "runbook scenario 5: execution confirmations",
      build: (sql) => newestExecutionEventQuery(sql),
    },
  ],
  async run() {
    const e = env();
    if (!e.EA_HEARTBEAT_TOKEN) return notConfigured("set EA_HEARTBEAT_TOKEN and have each EA POST /api/heartbeat");
    const staleSeconds = e.EA_HEARTBEAT_STALE_SECONDS;
    const [instances, events] = await Promise.all([
      listHeartbeats(),
      getNewestExecutionEventAge().then(
        (age) => ({ age, error: null }),
        (err: unknown) => ({
          age: null,
          error: err instanceof DbError ? { code: err.code, message: err.publicMessage } : { code: "check.error", message: String(err) },
        }),
      ),
    ]);
    const status = classifyHeartbeats(instances, staleSeconds);
    const freshest = instances[0];
    const describe = (i: HeartbeatRow) => `${i.role} ${i.instance} ${i.ageSeconds < staleSeconds ? "fresh" : "silent"} (${formatAge(i.ageSeconds)} ago)`;
    const primaries = instances.filter((i) => i.role === "primary");
    const backups = instances.filter((i) => i.role === "backup");
    let summary: string;
    if (instances.length === 0) summary = "No heartbeat ever received from an EA";
    else if (status === "ok") summary = [...primaries, ...backups].map(describe).join("; ");
    else if (status === "warn") summary = `Only the backup is alive: ${[...primaries, ...backups].map(describe).join("; ")}`;
    else summary = `No EA heartbeat for ${formatAge(freshest?.ageSeconds ?? 0)}: ${[...primaries, ...backups].map(describe).join("; ")}`;
    if (events.age !== null) summary += `; newest execution event ${formatAge(events.age)} ago`;
    const startedAt = processStartedAt();
    const uptimeSeconds = (Date.now() - startedAt) / 1000;
    return duringWarmup(
      {
        status,
        value: freshest ? Math.round(freshest.ageSeconds) : null,
        unit: "s",
        summary,
        threshold: `critical when no instance has beaten in ${formatAge(staleSeconds)}, warn when only a backup has`,
        detail: {
          staleSeconds,
          instances: instances.map((i) => ({ ...i, fresh: i.ageSeconds < staleSeconds })),
          newestExecutionEventAgeSeconds: events.age,
          ...(events.error ? { executionEventsError: events.error } : {}),
        },
      },
      {
        noDataSinceStart: !instances.some((i) => i.ageSeconds < uptimeSeconds),
        startedAt,
        warmupSeconds: e.CHECK_WARMUP_SECONDS,
        waitingFor: "the first EA heartbeat since the console started",
      },
    );
  },
};
