/**
 * EXPLAIN for the console's monitoring reads (lib/recovery/health/snapshot.ts, monitoringQueries): each
 * must reach the trading tables through an index, never a sequential scan. Shared by
 * `npm run bench` (at 10M rows) and tests/db/plans.test.ts (at 100k rows, in `npm test`).
 */
import type postgres from "postgres";
import type { MonitoringQuery } from "../../../lib/db/queries/trading.ts";

export const TRADING_TABLES = ["signal_outbox", "trade_directives", "execution_events"] as const;

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
};

export type PlanVerdict = {
  id: string;
  check: string;
  /** No Seq Scan on a trading table, and at least one index scan. */
  ok: boolean;
  /** e.g. "Index Only Scan using signal_outbox_created_at_idx on signal_outbox" */
  indexScans: string[];
  seqScans: string[];
};

const INDEX_NODES = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

function walk(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node);
  for (const child of node.Plans ?? []) walk(child, out);
  return out;
}

/** The scans of a plan (EXPLAIN (FORMAT JSON)'s `Plan`) that touch the trading tables. */
export function analysePlan(plan: PlanNode): { indexScans: string[]; seqScans: string[] } {
  const nodes = walk(plan);
  const trading = (name: string | undefined) => !!name && (TRADING_TABLES as readonly string[]).some((t) => name === t || name.startsWith(`${t}_`));
  return {
    indexScans: nodes
      .filter((n) => INDEX_NODES.has(n["Node Type"]) && (trading(n["Relation Name"]) || trading(n["Index Name"])))
      .map((n) => `${n["Node Type"]} using ${n["Index Name"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`),
    seqScans: nodes.filter((n) => n["Node Type"] === "Seq Scan" && trading(n["Relation Name"])).map((n) => `Seq Scan on ${n["Relation Name"]}`),
  };
}

export async function explainQuery(sql: postgres.Sql, q: MonitoringQuery): Promise<PlanVerdict> {
  const [row] = await sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>`explain (format json) ${q.build(sql)}`;
  const scans = analysePlan(row!["QUERY PLAN"][0].Plan);
  return { id: q.id, check: q.check, ok: scans.seqScans.length === 0 && scans.indexScans.length > 0, ...scans };
}
