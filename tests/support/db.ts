/** Helpers for DB suites: direct connections that bypass the console's code, like a DBA's psql. */
import postgres from "postgres";
import { inject } from "vitest";

export type Sql = postgres.Sql;

/** A direct connection to one of the test databases (closed by the caller). */
export function connect(which: "trading" | "console" | "admin", opts: postgres.Options<Record<string, postgres.PostgresType>> = {}): Sql {
  const url = inject(which === "trading" ? "tradingUrl" : which === "console" ? "consoleUrl" : "adminUrl");
  return postgres(url, { max: 2, onnotice: () => {}, ...opts });
}

/** Empty the trading tables between tests. */
export async function resetTrading(sql: Sql): Promise<void> {
  await sql`truncate signal_outbox, trade_directives, execution_events restart identity`;
}

/** Set env variables for the code under test and reload its cached configuration. */
export async function withEnv(vars: Record<string, string | undefined>): Promise<void> {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const { reloadEnv } = await import("../../lib/env.ts");
  reloadEnv();
}
