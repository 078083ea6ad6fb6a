import path from "node:path";
import { startBenchServer } from "./lib/pg.ts";
import { tradingDatabase } from "./lib/seed.ts";
const server = await startBenchServer({ dataDir: path.resolve(".data/bench"), log: console.log });
const t = Date.now();
await tradingDatabase(server, 10_000_000, { cache: true });
console.log("seeded in", Math.round((Date.now() - t) / 1000), "s");
await server.stop();
