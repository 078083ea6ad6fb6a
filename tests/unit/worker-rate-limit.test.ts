/**
 * worker_rate_limit against the real worker simulator (sim/worker.ts): the probe honours
 * Retry-After, so a rate-limited worker gets no request from the console before it allows one.
 * The prober's clock is injected, so "30 s later" needs no sleeping; the HTTP is real.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckReading } from "@/lib/recovery/health/checks/types";
import { createWorkerRateLimitCheck, WorkerProber, type WorkerRateLimitDetail } from "@/lib/recovery/health/checks/worker-rate-limit";
import { HealthMonitor } from "@/lib/recovery/health/snapshot";
import { startWorkerSim, type WorkerSim } from "@/sim/worker";
import { setEnv } from "../support/env";

let worker: WorkerSim;
let clock: number;
let prober: WorkerProber;
let check: ReturnType<typeof createWorkerRateLimitCheck>;
// Configured in every test (WORKER_PROBES set), so the reading carries the workers.
const run = async () => (await check.run(new AbortController().signal)) as CheckReading<WorkerRateLimitDetail>;
const advance = (seconds: number) => (clock += seconds * 1000);

beforeAll(async () => {
  worker = await startWorkerSim({ port: 0, name: "tick-factory" });
});
beforeEach(() => {
  worker.heal();
  clock = Date.parse("2026-11-27T21:00:00Z");
  prober = new WorkerProber(() => clock);
  check = createWorkerRateLimitCheck(prober);
  setEnv({
    WORKER_PROBES: `tick-factory=${worker.url}/health`,
    WORKER_PROBE_INTERVAL_SECONDS: "5",
    WORKER_PROBE_TIMEOUT_MS: "2000",
    WORKER_RATE_LIMIT_WINDOW_SECONDS: "300",
  });
});
afterAll(async () => {
  await worker.close();
});

describe("worker_rate_limit (runbook scenario 4)", () => {
  it("is ok when the worker answers, and probes at most once per WORKER_PROBE_INTERVAL_SECONDS", async () => {
    const before = worker.requestCount;
    expect(await run()).toMatchObject({ status: "ok", value: 0, summary: "No 429s in the last 5 min from 1 worker" });
    advance(2);
    await run();
    expect(worker.requestCount - before).toBe(1);
    advance(3);
    await run();
    expect(worker.requestCount - before).toBe(2);
  });

  it("never probes a rate-limited worker before its Retry-After allows, then sees it recover", async () => {
    worker.rateLimit(30);
    const before = worker.requestCount;
    const limited = await run();
    expect(limited).toMatchObject({ status: "critical", value: 1, unit: "429" });
    expect(limited.summary).toBe("tick-factory rate limited (429, Retry-After 30 s); next probe in 30 s");
    expect(worker.requestCount - before).toBe(1);

    // Evaluations every 5 s for the next 29 s: still critical, and not one more request.
    for (let i = 0; i < 5; i++) {
      advance(5);
      expect((await run()).status).toBe("critical");
    }
    advance(4);
    await run();
    expect(worker.requestCount - before).toBe(1);

    // Retry-After has passed: one probe, and the worker has recovered meanwhile.
    worker.heal();
    advance(1);
    const recovered = await run();
    expect(worker.requestCount - before).toBe(2);
    expect(recovered).toMatchObject({ status: "warn", value: 1 });
    expect(recovered.summary).toBe("tick-factory recovered after 1 429 in the last 5 min");

    // Once the 429 has left the window, all clear.
    advance(300);
    expect(await run()).toMatchObject({ status: "ok", value: 0 });
  });

  it("probes once for 50 concurrent snapshot readers (single-flight)", async () => {
    const before = worker.requestCount;
    const monitor = new HealthMonitor([check], { refreshSeconds: 60, checkTimeoutMs: 3000 });
    const snaps = await Promise.all(Array.from({ length: 50 }, () => monitor.get()));
    expect(new Set(snaps.map((s) => s.generatedAt)).size).toBe(1);
    expect(monitor.evaluations).toBe(1);
    expect(worker.requestCount - before).toBe(1);
  });

  it("joins a probe in flight rather than sending a second one", async () => {
    const before = worker.requestCount;
    await Promise.all([run(), run(), run()]);
    expect(worker.requestCount - before).toBe(1);
  });

  it("backs off exponentially after a 429 without Retry-After", async () => {
    let hits = 0;
    const bare: Server = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(429).end();
    });
    await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
    try {
      setEnv({ WORKER_PROBES: `bare=http://127.0.0.1:${(bare.address() as AddressInfo).port}/health` });
      const first = await run();
      expect(first.status).toBe("critical");
      expect(first.detail.workers).toMatchObject([{ state: "rate_limited", retryAfterSeconds: null, message: "429 without Retry-After; backing off 30 s" }]);
      advance(29);
      await run();
      expect(hits).toBe(1);
      advance(1);
      await run();
      expect(hits).toBe(2);
      // The second consecutive 429 doubles the wait.
      advance(59);
      await run();
      expect(hits).toBe(2);
      advance(1);
      await run();
      expect(hits).toBe(3);
    } finally {
      await new Promise((r) => bare.close(r));
    }
  });

  it("is unknown with an error when the worker cannot be reached", async () => {
    setEnv({ WORKER_PROBES: "gone=http://127.0.0.1:1/health" });
    expect(await run()).toMatchObject({ status: "unknown", error: { code: "worker.unreachable" } });
  });

  it("is unknown with 'not configured' and no error without WORKER_PROBES", async () => {
    setEnv({ WORKER_PROBES: undefined });
    const monitor = new HealthMonitor([check], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    const [c] = (await monitor.evaluate()).checks;
    expect(c).toMatchObject({ status: "unknown", summary: "not configured", value: null });
    expect(c!.error).toBeUndefined();
  });
});
