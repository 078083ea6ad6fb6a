/**
 * request_cost: the console's own CPU per request, by route and credential. It is what decides how
 * many viewers one instance serves: a dashboard's polls cost (requests per second) × (CPU per
 * request), and the console's JavaScript runs on one core.
 *
 * Each case sends `requests` GETs, `concurrency` at a time, on keep-alive connections, and reads
 * the console process's user + system CPU time (/proc/<pid>/stat) before and after. The
 * static route /reference/ping (through the same proxy) is the framework's floor.
 */
import fs from "node:fs";
import { round } from "../lib/stats.ts";
import { Tab } from "../lib/viewer-http.ts";

export type RequestCostCase = { name: string; path: string; headers: Record<string, string> };

/** utime + stime of `pid`, in ms (clock ticks of 10 ms on Linux). */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces), counted from field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function measureRequestCost(o: { baseUrl: string; pid: number; cases: RequestCostCase[]; requests: number; concurrency: number }) {
  const out: Record<string, { cpuMsPerRequest: number; requests: number; failed: number; wallMs: number }> = {};
  for (const c of o.cases) {
    const tab = new Tab(o.baseUrl, c.headers);
    try {
      // Warm: the route's code is loaded and its caches are filled before the count starts.
      for (let i = 0; i < 20; i++) await tab.get(c.path);
      let next = 0;
      let failed = 0;
      const cpu0 = processCpuMs(o.pid);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (next++ < o.requests) {
            const res = await tab.get(c.path).catch(() => ({ status: 0 }));
            if (res.status !== 200) failed++;
          }
        }),
      );
      const wallMs = performance.now() - t0;
      const cpu = processCpuMs(o.pid) - cpu0;
      out[c.name] = { cpuMsPerRequest: round(cpu / o.requests, 2), requests: o.requests, failed, wallMs: Math.round(wallMs) };
    } finally {
      tab.close();
    }
  }
  return out;
}
