/**
 * The console's own modules, run inside the bench process (checks, the snapshot, appendAudit):
 * they read their configuration from the environment, as in production, so a phase sets the
 * variables it needs and starts from fresh pools and a fresh health monitor.
 */
import { closeStores } from "../../lib/db/client.ts";
import { reloadEnv } from "../../lib/env.ts";
import { resetHealthMonitor } from "../../lib/recovery/health/snapshot.ts";

export async function applyEnv(vars: Record<string, string | undefined>): Promise<void> {
  await closeStores();
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  reloadEnv();
  resetHealthMonitor();
}

export { closeStores };
