import "server-only";
/**
 * EA heartbeats in the console store (runbook scenario 5): one row per EA instance.
 * Ages are computed by the database clock, the same clock that stamped last_seen_at.
 */
import { withConsole } from "../client.ts";

export type HeartbeatRole = "primary" | "backup";

export type HeartbeatRow = {
  instance: string;
  role: HeartbeatRole;
  firstSeenAt: string;
  lastSeenAt: string;
  ageSeconds: number;
  beats: number;
  version: string | null;
};

/** Record one heartbeat: insert the instance, or bump its last_seen_at (and role, if it changed). */
export async function upsertHeartbeat(hb: {
  instance: string;
  role: HeartbeatRole;
  version: string | null;
  remoteAddr: string | null;
}): Promise<{ lastSeenAt: string; beats: number }> {
  const [row] = await withConsole(
    (sql) => sql<{ last_seen_at: Date; beats: number }[]>`
      insert into console.ea_heartbeats as h (instance, role, version, remote_addr)
      values (${hb.instance}, ${hb.role}, ${hb.version}, ${hb.remoteAddr})
      on conflict (instance) do update
        set role = excluded.role, last_seen_at = now(), beats = h.beats + 1,
            version = coalesce(excluded.version, h.version), remote_addr = excluded.remote_addr
      returning last_seen_at, beats::float8 as beats`,
    { timeoutMs: 3000 },
  );
  return { lastSeenAt: row!.last_seen_at.toISOString(), beats: row!.beats };
}

/** Every instance that ever sent a heartbeat, freshest first. */
export async function listHeartbeats(): Promise<HeartbeatRow[]> {
  const rows = await withConsole(
    (sql) => sql<{ instance: string; role: HeartbeatRole; first_seen_at: Date; last_seen_at: Date; age_s: number; beats: number; version: string | null }[]>`
      select instance, role, first_seen_at, last_seen_at, extract(epoch from now() - last_seen_at)::float8 as age_s,
             beats::float8 as beats, version
      from console.ea_heartbeats
      order by last_seen_at desc
      limit 50`,
  );
  return rows.map((r) => ({
    instance: r.instance,
    role: r.role,
    firstSeenAt: r.first_seen_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    ageSeconds: Math.max(0, r.age_s),
    beats: r.beats,
    version: r.version,
  }));
}
