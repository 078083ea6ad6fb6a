/**
 * For specs that inject runbook scenarios into the shared e2e world: a console-store connection
 * for the spec, and after each test the world healed and every incident the test opened resolved.
 * The specs after this one see the banner, the stakeholder view and the escalation level of the
 * most severe open incident, so none may be left behind (above all not an L2 or L3 one).
 */
import { SCENARIOS, type ScenarioName } from "../../sim/scenarios";
import { expect, sim, test } from "../fixtures";
import { consoleDb, type Sql } from "./console-db";

export type InjectedScenarios = {
  /** The spec's console-store connection (open from beforeAll to afterAll). */
  readonly sql: Sql;
  /** Inject a scenario; its incident must be resolved before the next test starts. */
  inject(name: ScenarioName): Promise<void>;
};

/** Register the spec's hooks (call it once, at the top of the spec file). */
export function injectedScenarios(): InjectedScenarios {
  let sql: Sql | undefined;
  /** Runbook scenarios injected by the current test. */
  const touched = new Set<number>();

  test.beforeAll(() => {
    sql = consoleDb();
  });

  test.afterAll(async () => {
    await sql?.end();
  });

  test.afterEach(async () => {
    await sim.heal();
    if (!touched.size || !sql) return;
    const scenarios = [...touched];
    const db = sql;
    await expect
      .poll(
        async () =>
          (await db<{ n: number }[]>`select count(*)::int as n from console.incidents where status = 'open' and scenario = any(${scenarios}::int[])`)[0]?.n,
        { message: "the incidents of this test resolve once the world is healed", timeout: 45_000 },
      )
      .toBe(0);
    touched.clear();
  });

  return {
    get sql() {
      if (!sql) throw new Error("injectedScenarios: the console store is open only inside tests (beforeAll has not run)");
      return sql;
    },
    async inject(name) {
      touched.add(SCENARIOS.find((s) => s.name === name)!.runbook);
      await sim.inject(name);
    },
  };
}
