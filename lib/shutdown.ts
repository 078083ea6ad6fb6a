/**
 * What the process must do before it exits, registered by the app's start-up (lib/server-start.ts)
 * and run by the console's entry point (scripts/console-server.ts) at SIGTERM, once the server has
 * stopped accepting and the requests in flight have finished. The list lives on globalThis under a
 * registered symbol because the entry point and Next's server bundle each load their own copy of
 * this module. No server-only marker: the entry point imports it.
 */
type Hook = { name: string; run: () => Promise<void> | void };

const KEY = Symbol.for("recovery-console.shutdown-hooks");
const g = globalThis as unknown as { [KEY]?: Hook[] };

function hooks(): Hook[] {
  return (g[KEY] ??= []);
}

/** Run `run` at shutdown (idempotent by name: a second registration replaces the first). */
export function onShutdown(name: string, run: Hook["run"]): void {
  const list = hooks();
  const i = list.findIndex((h) => h.name === name);
  if (i >= 0) list[i] = { name, run };
  else list.push({ name, run });
}

/**
 * Run every hook, at once, each bounded by `timeoutMs`; a hook that fails or overruns is reported
 * and the others still run. Resolves with what happened to each, never rejects.
 */
export async function runShutdownHooks(timeoutMs: number): Promise<{ name: string; outcome: "done" | "failed" | "timed out"; error?: string }[]> {
  const list = hooks().splice(0);
  return Promise.all(
    list.map(async (h) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timed out">((resolve) => {
        timer = setTimeout(() => resolve("timed out"), timeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve(h.run()).then(() => "done" as const), timeout]);
        return { name: h.name, outcome };
      } catch (err) {
        return { name: h.name, outcome: "failed" as const, error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

const DRAIN_KEY = Symbol.for("recovery-console.drain-hooks");
const gd = globalThis as unknown as { [DRAIN_KEY]?: Map<string, () => void> };

/**
 * Run `run` as soon as the server stops accepting, before it waits for the requests in flight: for
 * responses that never end by themselves (the dashboards' live streams, lib/recovery/live/hub.ts),
 * which would otherwise hold the shutdown for the whole grace period. Idempotent by name.
 */
export function onDrain(name: string, run: () => void): void {
  (gd[DRAIN_KEY] ??= new Map()).set(name, run);
}

/** Run the drain hooks (scripts/console-server.ts at SIGTERM); a failing hook is reported, the others still run. */
export function runDrainHooks(report: (name: string, err: unknown) => void): void {
  for (const [name, run] of gd[DRAIN_KEY] ?? []) {
    try {
      run();
    } catch (err) {
      report(name, err);
    }
  }
}
