import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPg } from "@/lib/db/embedded";
import { freePort } from "@/scripts/lib/stack";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-embedded-"));
fs.chmodSync(tmp, 0o755);
let second: EmbeddedPg | null = null;

afterAll(async () => {
  await second?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("embedded PostgreSQL", () => {
  it("starts again after its launcher was killed with SIGKILL (orphaned postmaster, stale lock)", async () => {
    const port = await freePort();
    const dataDir = path.join(tmp, "pg");
    // A launcher in its own process, which we then kill -9 as an operator's Ctrl-\ or OOM would.
    const script = `
      import { startEmbeddedPostgres } from ${JSON.stringify(path.resolve("lib/db/embedded.ts"))};
      await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, databases: ["console"] });
      console.log("READY");
      setInterval(() => {}, 1000);`;
    const file = path.join(tmp, "launcher.mts");
    fs.writeFileSync(file, script);
    const child = spawn(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => c.toString().includes("READY") && resolve());
      child.once("exit", (code) => reject(new Error(`launcher exited ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const orphanPid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    expect(fs.existsSync(`/proc/${orphanPid}`)).toBe(true);

    const lines: string[] = [];
    second = await startEmbeddedPostgres({ dataDir, port, databases: ["console"], log: (l) => lines.push(l) });
    expect(lines.join("\n")).toMatch(/stopping an orphaned PostgreSQL/);
    const sql = postgres(second.url("console"), { max: 1 });
    expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
    await sql.end();
    await second.stop();
    second = null;
    expect(fs.existsSync(`/proc/${orphanPid}`)).toBe(false);
  });

  it("names EMBEDDED_PG_PORT when the port is taken", async () => {
    const net = await import("node:net");
    const srv = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    try {
      await expect(startEmbeddedPostgres({ dataDir: path.join(tmp, "pg2"), port, databases: [] })).rejects.toThrow(
        /EMBEDDED_PG_PORT: port \d+ is already in use/,
      );
    } finally {
      srv.close();
    }
  });
});
