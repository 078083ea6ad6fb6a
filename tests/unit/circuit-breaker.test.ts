/** circuit_breaker against the real trade-director simulator (a real HTTP server, no stubbed fetch). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { circuitBreaker } from "@/lib/recovery/health/checks/circuit-breaker";
import type { CheckDefinition } from "@/lib/recovery/health/checks/types";
import { HealthMonitor } from "@/lib/recovery/health/snapshot";
import { startTradeDirector, type TradeDirectorSim } from "@/sim/trade-director";
import { setEnv } from "../support/env";

let director: TradeDirectorSim;
const run = () => circuitBreaker.run(new AbortController().signal);

beforeAll(async () => {
  director = await startTradeDirector({ port: 0 });
});
beforeEach(() => {
  director.mode = "normal";
  director.closeCircuit();
  setEnv({ TRADE_DIRECTOR_URL: director.url, TRADE_DIRECTOR_TOKEN: undefined, CIRCUIT_TIMEOUT_MS: "2000" });
});
afterAll(async () => {
  await director.close();
});

describe("circuit_breaker (runbook scenario 2, step 1)", () => {
  it("is ok when closed, warn when half-open, critical when open, with the director's own detail", async () => {
    expect(await run()).toMatchObject({ status: "ok", value: "closed", detail: { state: "closed", failures: 0, processing: true } });
    director.halfOpen();
    expect(await run()).toMatchObject({ status: "warn", value: "half-open" });
    director.open(7);
    const open = await run();
    expect(open).toMatchObject({ status: "critical", value: "open", detail: { failures: 7, openedAt: director.snapshot().openedAt } });
    expect(open.summary).toMatch(/^Open for \d+ s after 7 failures/);
    expect(director.requests.filter((r) => r.path === "/admin/circuit").length).toBeGreaterThanOrEqual(3);
  });

  it("sends the trade director's bearer token when one is configured", async () => {
    const guarded = await startTradeDirector({ port: 0, token: "director-secret-token" });
    try {
      setEnv({ TRADE_DIRECTOR_URL: guarded.url, TRADE_DIRECTOR_TOKEN: "director-secret-token" });
      expect(await run()).toMatchObject({ status: "ok" });
      expect(guarded.requests.at(-1)?.headers.authorization).toBe("Bearer director-secret-token");
      setEnv({ TRADE_DIRECTOR_TOKEN: "wrong-token" });
      await expect(run()).rejects.toMatchObject({ code: "td.http", status: 401 });
    } finally {
      await guarded.close();
    }
  });

  it("is unknown with 'not configured' and no error when TRADE_DIRECTOR_URL is unset", async () => {
    setEnv({ TRADE_DIRECTOR_URL: undefined });
    const monitor = new HealthMonitor([circuitBreaker], { refreshSeconds: 60, checkTimeoutMs: 1000 });
    const [c] = (await monitor.evaluate()).checks;
    expect(c).toMatchObject({ status: "unknown", summary: "not configured" });
    expect(c!.error).toBeUndefined();
  });

  it("turns unknown at CIRCUIT_TIMEOUT_MS when the director hangs, without delaying the other checks", async () => {
    setEnv({ CIRCUIT_TIMEOUT_MS: "300" });
    director.mode = "hang";
    const fast: CheckDefinition = {
      id: "fast",
      title: "fast",
      scenario: null,
      run: async () => ({ status: "ok", value: 1, unit: "", summary: "", threshold: "", detail: {} }),
    };
    const monitor = new HealthMonitor([circuitBreaker, fast], { refreshSeconds: 60, checkTimeoutMs: 5000 });
    const started = Date.now();
    const snap = await monitor.evaluate();
    const elapsed = Date.now() - started;
    const [circuit, other] = snap.checks;
    expect(circuit).toMatchObject({ status: "unknown", error: { code: "td.timeout", message: "no answer within 300 ms" } });
    expect(circuit!.durationMs).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(other).toMatchObject({ status: "ok" });
    expect(other!.durationMs).toBeLessThan(100);
  });

  it("is unknown with the HTTP status when the director answers 500", async () => {
    director.mode = "error500";
    const monitor = new HealthMonitor([circuitBreaker], { refreshSeconds: 60, checkTimeoutMs: 3000 });
    const [c] = (await monitor.evaluate()).checks;
    expect(c).toMatchObject({ status: "unknown", value: null, error: { code: "td.http" } });
    expect(c!.error!.message).toMatch(/HTTP 500/);
    // And recovers on the next evaluation when the director does.
    director.mode = "normal";
    expect((await monitor.evaluate()).checks[0]).toMatchObject({ status: "ok", value: "closed" });
  });
});
