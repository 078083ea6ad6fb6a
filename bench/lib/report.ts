/** The bench's targets (issue 8) and the result files: latest.json and latest.md (full run), quick.json and quick.md (--quick). */
import fs from "node:fs";
import path from "node:path";

export type Figure = number | null;

export type Results = {
  generatedAt: string;
  mode: "full" | "quick";
  viewers_ratio: Figure;
  fleet_ratio: Figure;
  growth_ratio: Figure;
  floor_ratio: Figure;
  freshness_ms: Figure;
  serving_ratio: Figure;
  first_load_js_kb: Figure;
  /** The same sum for a page of the same build with nothing of the dashboard (the framework's floor); informational, no target. */
  first_load_js_floor_kb: Figure;
  ttfb_ratio: Figure;
  cancel_10k_ms: Figure;
  terminate_50_ms: Figure;
  audit_append_p95_ms: Figure;
  plans: Record<string, boolean> | null;
  /** live_push_p95_ms: how long after the first viewer got a pushed snapshot the others did (the live stream's fan-out). */
  load: { seconds: number; viewers: number; errors: number; health_p95_ms: number; dashboard_p95_ms: number; live_push_p95_ms?: number } | null;
  targets: Record<string, { target: string; met: boolean | null }>;
  environment: Record<string, unknown>;
  details: Record<string, unknown>;
  errors: Record<string, string>;
};

type Key = Exclude<keyof Results, "generatedAt" | "mode" | "targets" | "environment" | "details" | "errors" | "first_load_js_floor_kb">;

/** What each figure must be; `freshness_ms` depends on the interval. */
export function targetsFor(r: Results, intervalSeconds: number): Results["targets"] {
  const le = (v: Figure, max: number) => (v === null ? null : v <= max);
  const ge = (v: Figure, min: number) => (v === null ? null : v >= min);
  return {
    viewers_ratio: { target: "≤ 1.05", met: le(r.viewers_ratio, 1.05) },
    fleet_ratio: { target: "≤ 1.1", met: le(r.fleet_ratio, 1.1) },
    growth_ratio: { target: "≤ 2", met: le(r.growth_ratio, 2) },
    floor_ratio: { target: "≤ 1.3", met: le(r.floor_ratio, 1.3) },
    freshness_ms: { target: `≤ ${intervalSeconds * 1000 + 1000} (interval + 1000)`, met: le(r.freshness_ms, intervalSeconds * 1000 + 1000) },
    serving_ratio: { target: "≥ 0.8", met: ge(r.serving_ratio, 0.8) },
    first_load_js_kb: { target: "≤ 150", met: le(r.first_load_js_kb, 150) },
    ttfb_ratio: { target: "≤ 2", met: le(r.ttfb_ratio, 2) },
    cancel_10k_ms: { target: "≤ 1000", met: le(r.cancel_10k_ms, 1000) },
    terminate_50_ms: { target: "≤ 2000", met: le(r.terminate_50_ms, 2000) },
    audit_append_p95_ms: { target: "≤ 5", met: le(r.audit_append_p95_ms, 5) },
    plans: { target: "all true", met: r.plans === null ? null : Object.values(r.plans).every(Boolean) },
    load: {
      target: "0 errors, /api/health p95 < 200 ms, live push fan-out p95 < 200 ms, dashboard p95 < 400 ms",
      met:
        r.load === null
          ? null
          : r.load.errors === 0 && r.load.health_p95_ms < 200 && (r.load.live_push_p95_ms ?? Infinity) < 200 && r.load.dashboard_p95_ms < 400,
    },
  };
}

const ORDER: Key[] = [
  "viewers_ratio",
  "fleet_ratio",
  "growth_ratio",
  "floor_ratio",
  "freshness_ms",
  "serving_ratio",
  "first_load_js_kb",
  "ttfb_ratio",
  "cancel_10k_ms",
  "terminate_50_ms",
  "audit_append_p95_ms",
  "plans",
  "load",
];

function show(r: Results, k: Key): string {
  const v = r[k];
  if (v === null) return r.errors[k] ? "error" : "—";
  if (k === "plans") return `${Object.values(v as Record<string, boolean>).filter(Boolean).length} of ${Object.keys(v as object).length} use an index`;
  if (k === "load") {
    const l = v as NonNullable<Results["load"]>;
    const push = l.live_push_p95_ms === undefined ? "" : `, live push p95 ${l.live_push_p95_ms} ms`;
    return `${l.errors} errors, /api/health p95 ${l.health_p95_ms} ms${push}, dashboard p95 ${l.dashboard_p95_ms} ms (${l.viewers} viewers, ${l.seconds} s)`;
  }
  if (k === "first_load_js_kb" && r.first_load_js_floor_kb !== null) return `${String(v)} (framework floor ${r.first_load_js_floor_kb})`;
  return String(v);
}

const mark = (met: boolean | null) => (met === null ? "?" : met ? "met" : "MISSED");

/** One line per figure (those in `only`, when given). */
export function summaryLines(r: Results, only?: ReadonlySet<string>): string[] {
  return ORDER.filter((k) => !only || only.has(k)).map(
    (k) => `${k.padEnd(20)} ${show(r, k).padEnd(52)} ${r.targets[k]!.target.padEnd(34)} ${mark(r.targets[k]!.met)}`,
  );
}

/**
 * A full run writes latest.json and latest.md, which are committed: the claim on record. A quick
 * run (a smoke check at small sizes) writes quick.json and quick.md beside them, which git ignores,
 * so trying the bench never overwrites the record.
 */
export function writeResults(dir: string, r: Results, detailsMd: string): { json: string; md: string } {
  fs.mkdirSync(dir, { recursive: true });
  const base = r.mode === "quick" ? "quick" : "latest";
  const json = path.join(dir, `${base}.json`);
  const md = path.join(dir, `${base}.md`);
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  const lines = [
    `# Bench results (${r.mode})`,
    "",
    `${r.generatedAt}, ${String(r.environment.machine ?? "")}, ${String(r.environment.postgres ?? "")}. What each figure means: [README.md](README.md).`,
    "",
    "| figure | value | target | |",
    "| --- | --- | --- | --- |",
    ...ORDER.map((k) => `| \`${k}\` | ${show(r, k)} | ${r.targets[k]!.target} | ${mark(r.targets[k]!.met)} |`),
    "",
    ...(Object.keys(r.errors).length ? ["## Errors", "", ...Object.entries(r.errors).map(([k, e]) => `- \`${k}\`: ${e}`), ""] : []),
    detailsMd,
  ];
  fs.writeFileSync(md, `${lines.join("\n")}\n`);
  return { json, md };
}
