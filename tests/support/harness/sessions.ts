/**
 * Real PostgreSQL sessions left "idle in transaction" (BEGIN; SELECT 1; then nothing), as a leaky
 * application leaves them (runbook scenario 3), opened as an ordinary role so the console may
 * terminate them. Used by the bench (terminate_50_ms, the load test) and the drills
 * (pool-exhausted).
 */
import postgres from "postgres";

type One = { sql: postgres.Sql; reserved: postgres.ReservedSql | null; pid: number; gone: boolean };

export type IdleSessions = {
  pids: number[];
  /** How many of them the server has ended (e.g. terminated by the console). */
  goneCount(): number;
  close(): Promise<void>;
};

/** Too many connections, or only reserved slots left (SQLSTATE 53300). */
export function isTooManyConnections(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === "53300" || /too many clients|remaining connection slots are reserved/i.test(e?.message ?? "");
}

async function openOne(url: string, applicationName: string): Promise<One> {
  const one: One = { sql: null as unknown as postgres.Sql, reserved: null, pid: 0, gone: false };
  one.sql = postgres(url, {
    max: 1,
    connect_timeout: 10,
    onnotice: () => {},
    onclose: () => {
      one.gone = true;
    },
    // Leave cleaning up to the console (or to close()): no server-side idle timeout.
    connection: { application_name: applicationName, idle_in_transaction_session_timeout: 0 },
  });
  try {
    one.reserved = await one.sql.reserve();
    await one.reserved`begin`;
    const [{ pid }] = await one.reserved<[{ pid: number }]>`select pg_backend_pid() as pid`;
    one.pid = pid;
    return one;
  } catch (err) {
    await one.sql.end({ timeout: 1 }).catch(() => {});
    throw err;
  }
}

async function closeOne(one: One): Promise<void> {
  // Never query a session whose backend is gone: postgres.js 3.4.9 throws an uncaught TypeError
  // on a reserved connection whose socket has closed. Ending the client is enough: the server
  // rolls back an open transaction when its client goes.
  if (!one.gone) one.reserved?.release();
  one.reserved = null;
  await one.sql.end({ timeout: 1 }).catch(() => {});
}

function group(list: One[]): IdleSessions {
  return {
    pids: list.map((s) => s.pid),
    goneCount: () => list.filter((s) => s.gone).length,
    close: async () => {
      await Promise.all(list.map(closeOne));
    },
  };
}

/** `count` sessions idle in transaction (opened a few at a time). */
export async function openIdleSessions(url: string, count: number, applicationName = "distortsignals-api"): Promise<IdleSessions> {
  const list: One[] = [];
  try {
    for (let i = 0; i < count; i += 10) {
      list.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => openOne(url, applicationName)))));
    }
  } catch (err) {
    await Promise.all(list.map(closeOne));
    throw err;
  }
  return group(list);
}

/** Sessions idle in transaction until the server refuses another (every slot this role may use). */
export async function fillConnections(url: string, applicationName = "distortsignals-api", max = 1000): Promise<IdleSessions> {
  const list: One[] = [];
  for (;;) {
    if (list.length >= max) break;
    try {
      list.push(await openOne(url, applicationName));
    } catch (err) {
      if (isTooManyConnections(err)) break;
      await Promise.all(list.map(closeOne));
      throw err;
    }
  }
  return group(list);
}
