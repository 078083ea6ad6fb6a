/** Set env variables for the code under test and reload its cached configuration (no DB needed). */
import { reloadEnv } from "../../lib/env.ts";

export function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  reloadEnv();
}
