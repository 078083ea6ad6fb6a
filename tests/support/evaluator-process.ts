/**
 * One console instance's incident evaluator, as its own process, for the leadership test:
 * prints LEADER or FOLLOWER after every tick.
 */
import { IncidentEvaluator } from "../../lib/recovery/incidents/evaluator.ts";

const ev = new IncidentEvaluator({ intervalMs: Number(process.env.EVALUATOR_INTERVAL_MS ?? 300), evaluate: async () => [], log: () => {} });
const tick = async () => {
  await ev.tick().catch(() => null);
  console.log(ev.isLeader ? "LEADER" : "FOLLOWER");
};
setInterval(() => void tick(), ev.intervalMs);
void tick();
