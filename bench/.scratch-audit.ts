import { startBenchServer, connect, createDatabase } from "./lib/pg.ts";
import { migrateConsoleStore } from "../lib/db/migrate.ts";
import { p50, p95 } from "./lib/stats.ts";
const server = await startBenchServer({ dataDir: "/tmp/rc-bench-scratch", log: console.log });
await createDatabase(server, "rc_audit_probe"); await migrateConsoleStore(server.url("rc_audit_probe"));
const sql = connect(server.url("rc_audit_probe"));
const T: Record<string, number[]> = { begin: [], lockhead: [], insert: [], commit: [], total: [] };
for (let i = 0; i < 300; i++) {
  const t0 = performance.now(); let t = t0;
  const lap = (k: string) => { const n = performance.now(); T[k]!.push(n - t); t = n; };
  await sql.begin(async (tx) => {
    lap("begin");
    const [, heads] = await Promise.all([tx`select pg_advisory_xact_lock(hashtext('x'))`, tx`select seq, hash from console.audit_log order by seq desc limit 1`]);
    lap("lockhead");
    const seq = heads[0] ? Number(heads[0].seq) + 1 : 1;
    await tx`insert into console.audit_log (seq, id, at, action, phase, outcome, reason, params, detail, request, prev_hash, hash) values (${seq}, gen_random_uuid(), now(), 'bench', 'event', 'succeeded', 'a reason long enough', ${tx.json({ a: 1 })}, ${tx.json({ b: [1, 2, 3] })}, ${tx.json({ requestId: "x" })}, ${"0".repeat(64)}, ${"1".repeat(64)})`;
    lap("insert");
  });
  lap("commit"); T.total!.push(performance.now() - t0);
}
for (const [k, v] of Object.entries(T)) console.log(k.padEnd(10), "p50", p50(v).toFixed(2), "p95", p95(v).toFixed(2));
await sql.end(); await server.admin().unsafe("drop database rc_audit_probe with (force)").catch(() => {}); await server.stop();
