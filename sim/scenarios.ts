/**
 * The failure scenarios the simulated DistortSignals world can act out.
 *
 * One entry per scenario of the recovery runbook (runbook/recovery-runbook.md),
 * shared by the world (sim/world.ts), the control server (sim/control.ts) and the CLI
 * (sim/cli.ts) so the three never disagree about names.
 */

export const SCENARIOS = [
  {
    name: "signal-generator-crash",
    runbook: 1,
    description: "The signal generator stops: no new rows in signal_outbox.",
  },
  {
    name: "trade-director-stuck",
    runbook: 2,
    description: "The trade director's circuit opens: pending trade_directives pile up.",
  },
  {
    name: "pool-exhaustion",
    runbook: 3,
    description: "API connections sit 'idle in transaction' in pg_stat_activity.",
  },
  {
    name: "worker-rate-limit",
    runbook: 4,
    description: "The tick-factory worker answers 429 with Retry-After.",
  },
  {
    name: "ea-disconnected",
    runbook: 5,
    description: "The MT5 EA goes silent: no heartbeats, no execution_events.",
  },
] as const;

export type ScenarioName = (typeof SCENARIOS)[number]["name"];
export type Scenario = (typeof SCENARIOS)[number];

export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIOS.map((s) => s.name);

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

export function getScenario(name: ScenarioName): Scenario {
  // The find cannot fail: `name` is typed as one of the listed names.
  return SCENARIOS.find((s) => s.name === name) as Scenario;
}
