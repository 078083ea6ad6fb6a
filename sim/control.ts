/**
 * The sim's control server, used by `npm run sim -- ...` (sim/cli.ts) and by tests to
 * break and heal the running world.
 *
 *   GET  /state            -> 200 WorldState
 *   GET  /scenarios        -> 200 { scenarios: [{ name, runbook, description, active }] }
 *   POST /scenario/<name>  -> 200 { ok, injected, state } | 400 unknown name | 409 unavailable
 *   POST /heal             -> 200 { ok, healed: "all", state }
 *   POST /heal/<name>      -> 200 { ok, healed, state } | 400 unknown name
 */
import { createServer } from "node:http";
import { closeServer, listen, pathOf, sendJson } from "./http.ts";
import { SCENARIOS, SCENARIO_NAMES, isScenarioName } from "./scenarios.ts";
import { ScenarioUnavailableError, type World } from "./world.ts";

export interface ControlServer {
  /** Base URL, e.g. http://127.0.0.1:40125 (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

function unknownScenario(name: string): { error: string; message: string; validScenarios: readonly string[] } {
  return {
    error: "unknown_scenario",
    message: `Unknown scenario "${name}". Valid scenarios: ${SCENARIO_NAMES.join(", ")}.`,
    validScenarios: SCENARIO_NAMES,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startControlServer(opts: { port: number; world: World; host?: string }): Promise<ControlServer> {
  const { world } = opts;

  const server = createServer((req, res) => {
    req.resume();
    const path = pathOf(req);
    const method = req.method ?? "GET";
    void (async () => {
      try {
        if (path === "/state" && method === "GET") {
          return sendJson(res, 200, world.state());
        }
        if (path === "/scenarios" && method === "GET") {
          const active = new Set<string>(world.state().active);
          return sendJson(res, 200, {
            scenarios: SCENARIOS.map((s) => ({ ...s, active: active.has(s.name) })),
          });
        }
        const scenarioMatch = /^\/scenario\/([^/]+)$/.exec(path);
        const healMatch = /^\/heal(?:\/([^/]+))?$/.exec(path);
        if ((scenarioMatch || healMatch) && method !== "POST") {
          return sendJson(res, 405, { error: "method_not_allowed", message: "Use POST" }, { allow: "POST" });
        }
        if (scenarioMatch) {
          const name = decodeURIComponent(scenarioMatch[1] ?? "");
          if (!isScenarioName(name)) return sendJson(res, 400, unknownScenario(name));
          await world.inject(name);
          return sendJson(res, 200, { ok: true, injected: name, state: world.state() });
        }
        if (healMatch) {
          const raw = healMatch[1];
          const name = raw === undefined ? undefined : decodeURIComponent(raw);
          if (name !== undefined && !isScenarioName(name)) return sendJson(res, 400, unknownScenario(name));
          await world.heal(name);
          return sendJson(res, 200, { ok: true, healed: name ?? "all", state: world.state() });
        }
        sendJson(res, 404, {
          error: "not_found",
          message: `No route for ${method} ${path}. Try GET /state, GET /scenarios, POST /scenario/<name>, POST /heal.`,
        });
      } catch (err) {
        if (err instanceof ScenarioUnavailableError) {
          sendJson(res, 409, { error: "scenario_unavailable", message: err.message });
        } else {
          sendJson(res, 500, { error: "internal_error", message: describe(err) });
        }
      }
    })();
  });

  const url = await listen(server, opts.port, opts.host ?? "127.0.0.1");
  return { url, close: () => closeServer(server) };
}
