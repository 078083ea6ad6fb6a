/**
 * The shutdown steps (lib/shutdown.ts) the entry point runs at SIGTERM: every step runs, a step that
 * fails or hangs is reported and bounded, and none keeps the others (or the exit) waiting.
 */
import { describe, expect, it } from "vitest";
import { onShutdown, runShutdownHooks } from "@/lib/shutdown";

describe("shutdown steps", () => {
  it("runs every step once, bounds a hung one and reports a failed one", async () => {
    const ran: string[] = [];
    onShutdown("quick", () => {
      ran.push("quick");
    });
    onShutdown("hung", () => new Promise<void>(() => {}));
    onShutdown("broken", async () => {
      throw new Error("store down");
    });
    onShutdown("quick", () => {
      ran.push("quick again");
    });
    const started = Date.now();
    const outcomes = await runShutdownHooks(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(ran).toEqual(["quick again"]);
    expect(outcomes).toEqual([
      { name: "quick", outcome: "done" },
      { name: "hung", outcome: "timed out" },
      { name: "broken", outcome: "failed", error: "store down" },
    ]);
    // Run once: the list is empty afterwards.
    expect(await runShutdownHooks(200)).toEqual([]);
  });
});
