import { handleHeartbeat } from "@/lib/recovery/health/heartbeat";

export const dynamic = "force-dynamic";

/**
 * EA heartbeats (runbook scenario 5). Authenticated by the EA's own bearer token
 * (EA_HEARTBEAT_TOKEN), not a user session: see lib/recovery/health/heartbeat.ts.
 */
export const POST = handleHeartbeat;
