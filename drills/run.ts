/**
 * `npm run drills`: game-day drills against a real console, real PostgreSQL servers and the
 * simulators (drills/world.ts), each failure set up for real (drills/drills.ts).
 *
 *   npm run drills                    all of them
 *   npm run drills -- --fast          the fast ones (what `npm test` runs)
 *   npm run drills -- pool-exhausted  only the named ones
 *
 * Prints `DRILL <name>: PASS` or `DRILL <name>: FAIL <why>` for each, then a summary line, and exits
 * 1 when one failed. The console is the production build in NEXT_DIST_DIR (default .next-drills);
 * its log is printed when a drill fails.
 */
import fs from "node:fs";
import { buildConsole } from "../tests/support/harness/console.ts";
import { drills } from "./drills.ts";
import { startWorld, type DrillWorld } from "./world.ts";

process.env.NEXT_DIST_DIR ||= ".next-drills";
process.env.NEXT_TELEMETRY_DISABLED = "1";

const args = process.argv.slice(2);
const fast = args.includes("--fast");
const named = args.filter((a) => !a.startsWith("--"));
const unknown = named.filter((n) => !drills.some((d) => d.name === n));
if (unknown.length) {
  console.error(`unknown drill: ${unknown.join(", ")}; drills: ${drills.map((d) => d.name).join(", ")}`);
  process.exit(2);
}
const selected = drills.filter((d) => (named.length ? named.includes(d.name) : !fast || d.fast));

const started = Date.now();
const stamp = () => `[${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s]`;
const log = (line: string) => console.log(`${stamp()} ${line}`);

let world: DrillWorld | null = null;
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping…`);
    void (world?.close() ?? Promise.resolve()).then(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  log(`building the console (${process.env.NEXT_DIST_DIR})…`);
  await buildConsole((l) => log(l));
  log("starting the world: two PostgreSQL servers, the trade director, a worker, the console…");
  world = await startWorld({ log });
  log(`console at ${world.app.url}; trading DB with max_connections 40, reserved_connections 10 for the console's role`);
  const results: { name: string; ok: boolean; why?: string; ms: number }[] = [];
  for (const d of selected) {
    log(`── ${d.name}: ${d.what}`);
    const t0 = Date.now();
    try {
      await d.run(world, (line) => log(`   ${line}`));
      results.push({ name: d.name, ok: true, ms: Date.now() - t0 });
      console.log(`DRILL ${d.name}: PASS`);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      results.push({ name: d.name, ok: false, why, ms: Date.now() - t0 });
      console.log(`DRILL ${d.name}: FAIL ${why}`);
      const tail = fs.existsSync(world.logFile) ? fs.readFileSync(world.logFile, "utf8").split("\n").slice(-25).join("\n") : "";
      if (tail.trim()) console.log(`   console log (last lines):\n${tail.replace(/^/gm, "   | ")}`);
    }
  }
  const failed = results.filter((r) => !r.ok);
  console.log(
    `\nDRILLS: ${results.length - failed.length} passed, ${failed.length} failed (${Math.round((Date.now() - started) / 1000)} s)${failed.length ? `: ${failed.map((f) => f.name).join(", ")}` : ""}`,
  );
  return failed.length ? 1 : 0;
}

main()
  .catch((err) => {
    console.error(err);
    console.log(`\nDRILLS: 0 passed, ${selected.length} failed (the world could not start)`);
    return 1;
  })
  .then(async (code) => {
    await world?.close();
    process.exit(code);
  });
