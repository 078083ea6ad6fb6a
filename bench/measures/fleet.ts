/**
 * fleet_ratio: trading-DB transactions per minute with three console instances behind a load
 * balancer (one console store, one trading DB) ÷ with one. The incident leader evaluates and
 * shares its snapshot through the console store; the others serve it (lib/recovery/health/snapshot.ts),
 * so the trading DB should see the same load whatever the number of instances. Counted exactly as
 * viewers_ratio is (tradingRate in bench/measures/http.ts), with one viewer on each instance.
 */
import type postgres from "postgres";
import type { Step } from "../../tests/support/harness/progress.ts";
import { round, sleep } from "../lib/stats.ts";
import { getHealth, tradingRate } from "./http.ts";

type Instance = { url: string; token: string };

export async function measureFleet(o: {
  /** The console already running (alone, so it leads). */
  first: Instance;
  /** Start one more instance against the same stores, the n-th. */
  launch: (n: number) => Promise<Instance & { stop(): Promise<void> }>;
  instances: number;
  viewerCookie: string;
  admin: postgres.Sql;
  database: string;
  evaluations: number;
  step: Step;
}) {
  const rate = (instances: Instance[]) =>
    tradingRate({ instances, viewersEach: 1, viewerCookie: o.viewerCookie, admin: o.admin, database: o.database, evaluations: o.evaluations });
  const one = await rate([o.first]);
  o.step.note(`1 instance: ${round(one.perMinute, 1)} transactions/min (${one.transactions} in ${one.seconds} s, ${one.evaluations} evaluations)`);
  const extra: Array<Instance & { stop(): Promise<void> }> = [];
  try {
    for (let n = 2; n <= o.instances; n++) extra.push(await o.launch(n));
    // Each newcomer should follow the leader before the count starts; one that does not after three
    // intervals is counted anyway (and said so): the ratio then shows what it costs.
    const following: boolean[] = [];
    for (const e of extra) {
      const deadline = Date.now() + 3 * (await getHealth(e.url, e.token)).refreshSeconds * 1000;
      let shared = false;
      while (!(shared = (await getHealth(e.url, e.token)).source === "shared") && Date.now() < deadline) await sleep(250);
      following.push(shared);
      if (!shared) o.step.note(`${e.url} does not serve the leader's shared snapshot: it evaluates by itself`);
    }
    const fleet = await rate([o.first, ...extra]);
    o.step.note(
      `${o.instances} instances: ${round(fleet.perMinute, 1)} transactions/min (${fleet.transactions} in ${fleet.seconds} s, ${fleet.evaluations} evaluations)`,
    );
    return {
      ratio: round(fleet.perMinute / one.perMinute, 3),
      oneInstance: { ...one, perMinute: round(one.perMinute, 1) },
      fleet: { ...fleet, perMinute: round(fleet.perMinute, 1) },
      instances: o.instances,
      /** Per added instance: whether it served the leader's shared snapshot when the count started. */
      following,
    };
  } finally {
    for (const e of extra) await e.stop().catch(() => {});
  }
}
