/**
 * One console instance's health monitor and incident evaluator, as its own process, for the shared
 * snapshot test (tests/db/shared-snapshot.test.ts). Its one check reads the trading DB and counts
 * its runs here, so the test sees how often each instance queried the trading DB. After every tick
 * it prints a JSON line: whether it leads, its runs, and where the snapshot it serves came from.
 * With INCIDENT_EVALUATOR_ENABLED=0 it runs no evaluator (it never leads) and only reads the
 * snapshot, as a web-only instance's viewers would.
 */
import { withTrading } from "../../lib/db/client.ts";
import { env } from "../../lib/env.ts";
import type { CheckModule } from "../../lib/recovery/health/checks/types.ts";
import { consoleStoreShare, healthMonitor, resetHealthMonitor } from "../../lib/recovery/health/snapshot.ts";
import { IncidentEvaluator } from "../../lib/recovery/incidents/evaluator.ts";

let runs = 0;
const tradingRead: CheckModule = {
  id: "trading_read",
  title: "A read of the trading DB",
  metricUnit: "",
  scenario: null,
  area: "execution",
  actions: [],
  reads: ["trading_tables"],
  async run() {
    runs++;
    await withTrading((sql) => sql`select count(*) from signal_outbox`, { timeoutMs: 2000 });
    return { status: "ok", value: runs, unit: "", summary: `run ${runs} in pid ${process.pid}`, threshold: "", detail: {} };
  },
};

resetHealthMonitor([tradingRead]);
const instance = consoleStoreShare().instance;
const evaluator = env().INCIDENT_EVALUATOR_ENABLED ? new IncidentEvaluator({ log: () => {}, janitor: async () => null, automate: async () => null }) : null;
const intervalMs = env().HEALTH_REFRESH_SECONDS * 1000;

for (;;) {
  await evaluator?.tick().catch((err: unknown) => console.error(err));
  // A few viewers at once: they share one read of the shared row (or one evaluation).
  const [snapshot] = await Promise.all([1, 2, 3].map(() => healthMonitor().get()));
  const m = healthMonitor();
  console.log(
    JSON.stringify({
      instance,
      leader: evaluator?.isLeader ?? false,
      runs,
      evaluations: m.evaluations,
      sharedReads: m.sharedReads,
      source: snapshot!.source,
      evaluatedBy: snapshot!.evaluatedBy,
      value: snapshot!.checks[0]?.value,
    }),
  );
  await new Promise((r) => setTimeout(r, intervalMs));
}
