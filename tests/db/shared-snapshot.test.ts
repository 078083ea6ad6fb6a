/**
 * Several instances behind a load balancer: the trading DB sees one evaluation per interval however
 * many instances run. Real processes (tests/support/fleet-process.ts), each with its own health
 * monitor and incident evaluator, against the test trading DB and a console store of their own (a
 * scratch database: incident leadership is an advisory lock in it, and the shared row lives there).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mergeSharedCheck, publishSharedSnapshot, readSharedSnapshot } from "@/lib/db/queries/shared-snapshot";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";

type Line = { instance: string; leader: boolean; runs: number; evaluations: number; sharedReads: number; source: string; evaluatedBy: string; value: number };
type Proc = { child: ChildProcess; lines: Line[]; last(): Line | undefined };

const REFRESH_SECONDS = 2;
let store: Scratch;
const procs: Proc[] = [];

beforeAll(async () => {
  store = await createScratchDb("fleet");
});
afterAll(async () => {
  await switchConsoleStore(undefined);
  await stopAll();
  await store.drop();
});

async function stopAll() {
  const running = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  const exited = running.map((p) => new Promise((r) => p.child.once("exit", r)));
  for (const p of running) p.child.kill("SIGKILL");
  await Promise.all(exited);
}

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
    await expect
      .poll(() => [b.last()?.evaluatedBy, c.last()?.evaluatedBy], { timeout: 20_000, interval: 100 })
      .toEqual([a.last()!.instance, a.last()!.instance]);

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
    await stopAll();
  }, 120_000);
});

describe("the shared snapshot's row", () => {
  it("is replaced by each publication, takes one check's new reading in place, and is aged by the store's clock", async () => {
    await switchConsoleStore(store.url);
    const before = (await readSharedSnapshot({ timeoutMs: 3000 }))?.revision ?? 0;
    const check = (id: string, value: number) => ({ id, value, observedAt: new Date().toISOString() });
    const first = { generatedAt: new Date().toISOString(), refreshSeconds: 5, checks: [check("a", 1), check("b", 1), check("c", 1)] };
    await publishSharedSnapshot({ snapshot: first, evaluatedBy: "one:1" }, { timeoutMs: 3000 });
    const second = { ...first, generatedAt: new Date().toISOString(), checks: [check("a", 2), check("b", 2), check("c", 2)] };
    await publishSharedSnapshot({ snapshot: second, evaluatedBy: "two:2" }, { timeoutMs: 3000 });
    await mergeSharedCheck(check("b", 3), { timeoutMs: 3000 });
    const row = await readSharedSnapshot({ timeoutMs: 3000 });
    expect(row).toMatchObject({ evaluatedBy: "two:2", generatedAt: second.generatedAt });
    expect((row!.snapshot as typeof second).checks.map((c) => [c.id, c.value])).toEqual([
      ["a", 2],
      ["b", 3],
      ["c", 2],
    ]);
    // Two publications and a merge: three writes, each seen as a change by the readers.
    expect(row!.revision).toBe(before + 3);
    expect(row!.ageMs).toBeGreaterThanOrEqual(0);
    expect(row!.ageMs).toBeLessThan(5000);
  });
});
