/**
 * Several instances behind a load balancer: the trading DB sees one evaluation per interval however
 * many instances run. Real processes (tests/support/fleet-process.ts), each with its own health
 * monitor and incident evaluator, against the test trading DB and a console store of their own (a
 * scratch database: incident leadership is an advisory lock in it, and the shared row lives there).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createScratchDb, type Scratch } from "../support/scratch-db";

type Line = { instance: string; leader: boolean; runs: number; evaluations: number; sharedReads: number; source: string; evaluatedBy: string; value: number };
type Proc = { child: ChildProcess; lines: Line[]; last(): Line | undefined };

const REFRESH_SECONDS = 2;
let store: Scratch;
const procs: Proc[] = [];

beforeAll(async () => {
  store = await createScratchDb("fleet");
});
afterAll(async () => {
  for (const p of procs) p.child.kill("SIGKILL");
  await Promise.all(procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once("exit", r)) : null)));
  await store.drop();
});

function start(extra: Record<string, string> = {}): Proc {
  const script = path.resolve("tests/support/fleet-process.ts");
  const env = {
    ...process.env,
    TRADING_DATABASE_URL: inject("tradingUrl"),
    CONSOLE_DATABASE_URL: store.url,
    HEALTH_REFRESH_SECONDS: String(REFRESH_SECONDS),
    ...extra,
  };
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script], { env, stdio: ["ignore", "pipe", "inherit"] });
  const p: Proc = { child, lines: [], last: () => p.lines.at(-1) };
  let buf = "";
  child.stdout!.on("data", (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    for (const l of parts) if (l.startsWith("{")) p.lines.push(JSON.parse(l) as Line);
  });
  procs.push(p);
  return p;
}

describe("a shared health snapshot across instances", () => {
  it("evaluates the trading DB once per interval with three instances, and moves the evaluation when the leader dies", async () => {
    const interval = REFRESH_SECONDS * 1000;
    const a = start();
    await expect.poll(() => a.last()?.leader, { timeout: 20_000, interval: 100 }).toBe(true);
    // b can lead, c cannot (a web-only instance): both start while a leads.
    const b = start();
    const c = start({ INCIDENT_EVALUATOR_ENABLED: "0" });
    await expect.poll(() => [b.last()?.evaluatedBy, c.last()?.evaluatedBy], { timeout: 20_000, interval: 100 }).toEqual([a.last()!.instance, a.last()!.instance]);

    // Steady state over five intervals: a alone reads the trading DB; b and c serve its snapshot.
    const runsA = a.last()!.runs;
    await expect.poll(() => a.last()!.runs - runsA, { timeout: 8 * interval, interval: 100 }).toBeGreaterThanOrEqual(5);
    expect(a.last()!.source).toBe("local");
    for (const f of [b, c]) {
      expect(f.last()).toMatchObject({ leader: false, runs: 0, evaluations: 0, source: "shared", evaluatedBy: a.last()!.instance });
      expect(f.last()!.sharedReads).toBeGreaterThanOrEqual(4);
    }
    // Once per interval, not once per instance: a's own ticks, no more.
    expect(a.last()!.runs).toBeLessThanOrEqual(a.lines.length + 1);

    // The leader dies: b takes the lead within about an interval and evaluates at once; c follows b.
    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    await expect.poll(() => b.last()?.leader && b.last()!.runs > 0, { timeout: 4 * interval, interval: 50 }).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(2 * interval + 2000);
    await expect.poll(() => c.last()?.evaluatedBy, { timeout: 4 * interval, interval: 100 }).toBe(b.last()!.instance);
    expect(b.last()!.source).toBe("local");

    // b dies too, and nobody leads: c's shared snapshot goes stale and c evaluates by itself
    // (after the interval, the check deadline and a second's slack: lib/recovery/health/snapshot.ts).
    const runsC = c.last()!.runs;
    const killedB = Date.now();
    b.child.kill("SIGKILL");
    await expect.poll(() => c.last()!.runs > runsC && c.last()!.source === "local", { timeout: 6 * interval, interval: 50 }).toBe(true);
    const staleAfter = interval + interval + 1000; // the check deadline is the interval here (it is capped by it)
    expect(Date.now() - killedB).toBeLessThan(staleAfter + interval + 2000);
    expect(c.last()!.evaluatedBy).toBe(c.last()!.instance);
  }, 120_000);
});
