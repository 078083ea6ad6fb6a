/**
 * `npm run sim -- <command>`: break and heal the running demo world.
 *
 * The control server is found through SIM_CONTROL_URL, or else the file the demo
 * writes (.data/sim.json, or SIM_STATE_FILE). Messages are for humans: no stack traces.
 */
import { SCENARIOS, SCENARIO_NAMES, isScenarioName } from "./scenarios.ts";
import { readSimStateFile, simStateFilePath } from "./state-file.ts";
import type { WorldState } from "./world.ts";

const USAGE = `Usage: npm run sim -- <command>

Commands:
  list               List the failure scenarios
  status [--json]    Show what the running demo world is doing
  scenario <name>    Inject a failure scenario into the running demo
  heal [name]        Heal one scenario, or all of them

Scenarios: ${SCENARIO_NAMES.join(", ")}`;

const READ_TIMEOUT_MS = 3000;
// Injecting pool-exhaustion opens eight database sessions; give writes some headroom.
const WRITE_TIMEOUT_MS = 10_000;

/** A failure to report as-is (no stack trace), with its exit code. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const NOT_RUNNING_HINT = "Start it with npm run demo.";

async function controlUrl(): Promise<string> {
  const fromEnv = process.env.SIM_CONTROL_URL;
  if (fromEnv) return fromEnv.replace(/\/+$/, "");
  const path = simStateFilePath();
  const state = await readSimStateFile(path);
  if (!state) throw new CliError(`No demo is running (no control URL in ${path}). ${NOT_RUNNING_HINT}`);
  return state.controlUrl.replace(/\/+$/, "");
}

interface ApiError {
  message?: string;
  validScenarios?: string[];
}

async function call<T>(method: "GET" | "POST", path: string): Promise<T> {
  const base = await controlUrl();
  const timeoutMs = method === "GET" ? READ_TIMEOUT_MS : WRITE_TIMEOUT_MS;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") {
      throw new CliError(`The demo at ${base} did not answer within ${timeoutMs / 1000} s. Is it stuck?`);
    }
    throw new CliError(`No demo is running (could not reach ${base}). ${NOT_RUNNING_HINT}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new CliError(`Unexpected answer from ${base}${path}: HTTP ${res.status}, not JSON. Is that the demo?`);
  }
  if (!res.ok) {
    const message = (body as ApiError | null)?.message ?? `HTTP ${res.status}`;
    throw new CliError(message);
  }
  return body as T;
}

function list(): void {
  const width = Math.max(...SCENARIO_NAMES.map((n) => n.length));
  console.log("Failure scenarios (runbook section in brackets):\n");
  for (const s of SCENARIOS) console.log(`  ${s.name.padEnd(width)}  [${s.runbook}] ${s.description}`);
  console.log("\nInject one with: npm run sim -- scenario <name>");
}

function printState(s: WorldState): void {
  const c = s.counts;
  const d = s.director;
  console.log(`Active scenarios: ${s.active.length ? s.active.join(", ") : "none"}`);
  console.log(
    `Traffic: ${c.signals} signals, ${c.directives} directives ` + `(${c.executed} executed, ${c.failed} failed), ${c.executionEvents} execution events`,
  );
  console.log(`Last signal: ${s.lastSignalAt ?? "none yet"}`);
  console.log(
    `Trade director: circuit ${d.state}${d.failures ? ` (${d.failures} failures)` : ""}, ` +
      `processing ${d.processing ? "on" : "off (halted)"}` +
      `${d.mode === "normal" ? "" : `, mode ${d.mode}`} at ${d.url}`,
  );
  if (s.worker) {
    const w = s.worker;
    console.log(`Worker ${w.name}: ${w.rateLimitedFor === null ? "healthy" : `rate limited (Retry-After ${w.rateLimitedFor} s)`} at ${w.url}`);
  }
  if (s.active.includes("pool-exhaustion")) console.log(`Idle-in-transaction sessions: ${s.idleInTransaction}`);
  const hb = s.heartbeats;
  console.log(
    `EA heartbeats: ${
      !hb.enabled
        ? "off"
        : s.active.includes("ea-disconnected")
          ? "silent (ea-disconnected)"
          : hb.lastError
            ? `failing (${hb.lastError})`
            : hb.lastOkAt
              ? `ok, last ${hb.lastOkAt}`
              : "not sent yet"
    }`,
  );
  console.log(`Trading database: ${s.db.ok === false ? `error: ${s.db.lastError}` : s.db.ok ? "ok" : "not contacted yet"}`);
}

function requireScenario(name: string | undefined, command: string): void {
  if (name === undefined) {
    throw new CliError(`Missing scenario name: npm run sim -- ${command} <name>\nScenarios: ${SCENARIO_NAMES.join(", ")}`, 2);
  }
  if (!isScenarioName(name)) {
    throw new CliError(`Unknown scenario "${name}". Valid scenarios: ${SCENARIO_NAMES.join(", ")}`, 2);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, arg, ...rest] = argv;
  switch (command) {
    case "list":
      return list();
    case "status": {
      const state = await call<WorldState>("GET", "/state");
      if (arg === "--json") console.log(JSON.stringify(state, null, 2));
      else printState(state);
      return;
    }
    case "scenario": {
      requireScenario(arg, "scenario");
      if (rest.length) throw new CliError(`One scenario at a time.\n\n${USAGE}`, 2);
      const name = arg as string;
      await call("POST", `/scenario/${encodeURIComponent(name)}`);
      const runbook = SCENARIOS.find((s) => s.name === name)?.runbook;
      console.log(`Injected ${name} (runbook scenario ${runbook}). Heal it with: npm run sim -- heal ${name}`);
      return;
    }
    case "heal": {
      if (arg !== undefined) requireScenario(arg, "heal");
      await call("POST", arg === undefined ? "/heal" : `/heal/${encodeURIComponent(arg)}`);
      console.log(arg === undefined ? "Healed all scenarios." : `Healed ${arg}.`);
      return;
    }
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return;
    case undefined:
      throw new CliError(USAGE, 2);
    default:
      throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliError) {
    console.error(err.message);
    process.exitCode = err.exitCode;
  } else {
    console.error(`sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
});
