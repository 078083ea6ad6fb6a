/**
 * Ctrl-C cleanup of the embedded PostgreSQL (issue 2: "Ctrl-C stops everything cleanly, including
 * Postgres. A second `npm run demo` reuses the data.").
 *
 * `npm start` and `npm run demo` would also run `next build`, so the launcher here is the part of
 * them that owns PostgreSQL, wired the same way (scripts/serve.ts, sim/demo.ts): prepareDatabases()
 * with no database URL set (embedded server, migrations, trading fixtures), then onShutdown()
 * stopping it. It runs as a child process, which we interrupt with SIGINT, and which must leave no
 * postgres process, no lock file and no held port behind. The SIGKILL case is in
 * embedded-restart.test.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/scripts/lib/stack";

const root = path.resolve(import.meta.dirname, "..", "..");
let tmp: string;
let dataDir: string;
let pgDir: string;
let port: number;
let launcherFile: string;
const launched: Launcher[] = [];

type Launcher = {
  child: ChildProcess;
  output(): string;
  tradingUrl: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-sigint-"));
  // Traversable, so that a root test run can hand the data dir to the postgres user in place.
  fs.chmodSync(tmp, 0o755);
  dataDir = path.join(tmp, "data");
  pgDir = path.join(dataDir, "pg");
  port = await freePort();
  launcherFile = path.join(tmp, "launcher.mts");
  fs.writeFileSync(
    launcherFile,
    `
    import { onShutdown, prepareDatabases } from ${JSON.stringify(path.join(root, "scripts", "lib", "stack.ts"))};
    const dbs = await prepareDatabases({ dataDir: ${JSON.stringify(dataDir)}, pgPort: ${port}, fixtures: true, log: (l) => console.log("[launcher] " + l) });
    onShutdown(async () => {
      await dbs.stop();
    });
    console.log("READY " + JSON.stringify({ tradingUrl: dbs.tradingUrl }));
    setInterval(() => {}, 60_000);`,
  );
});

afterAll(async () => {
  // A failed test may leave a launcher or its postgres running: stop them, then remove the folder.
  for (const l of launched) {
    if (l.child.exitCode === null && l.child.signalCode === null) {
      l.child.kill("SIGKILL");
      await l.exit;
    }
  }
  const pid = postmasterPid();
  if (pid && isPostgres(pid)) {
    process.kill(pid, "SIGINT");
    await until(() => !isPostgres(pid), 15_000, `postgres ${pid} to stop`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Poll a condition until it holds, or fail after the deadline. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start the launcher and wait for it to report the databases ready. */
async function launch(opts: { ownGroup: boolean }): Promise<Launcher> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", launcherFile], {
    cwd: root,
    // No database URL: the embedded default, as on a fresh machine.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmp, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.ownGroup,
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const launcher: Launcher = { child, output: () => out, tradingUrl: "", exit };
  launched.push(launcher);
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`launcher not ready within 60 s:\n${out}`)), 60_000);
    child.stdout!.on("data", () => {
      const m = /^READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`launcher exited (${code}) before it was ready:\n${out}`));
    });
  });
  launcher.tradingUrl = (JSON.parse(ready) as { tradingUrl: string }).tradingUrl;
  return launcher;
}

async function exited(l: Launcher): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`launcher did not exit within 20 s of SIGINT:\n${l.output()}`)), 20_000);
  });
  try {
    return await Promise.race([l.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function postmasterPid(): number | null {
  try {
    return Number(fs.readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return null;
  }
}

/** A live postgres process (not a recycled pid). Zombies have an empty cmdline. */
const isPostgres = (pid: number) => /postgres/.test(cmdline(pid) ?? "");

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The postmaster's own processes: checkpointer, background writer, I/O workers, backends. */
function childrenOf(pid: number): number[] {
  return allPids().filter((p) => {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
      return Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(")").pop()!.trim().split(" ")[1]) === pid;
    } catch {
      return false;
    }
  });
}

async function portIsFree(p: number): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once("error", () => resolve(false));
    srv.listen(p, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Everything PostgreSQL ran for this data dir must be gone, and it must have shut down cleanly. */
async function expectNothingLeft(postmaster: number, workers: number[]): Promise<void> {
  expect(isPostgres(postmaster), `postmaster ${postmaster} still running`).toBe(false);
  expect(workers.filter(isPostgres), "postgres worker processes still running").toEqual([]);
  expect(
    allPids().filter((p) => (cmdline(p) ?? "").includes(pgDir)),
    `processes still using ${pgDir}`,
  ).toEqual([]);
  // A clean (fast) shutdown removes the lock file; a killed postmaster would leave it behind.
  expect(fs.existsSync(path.join(pgDir, "postmaster.pid"))).toBe(false);
  expect(await portIsFree(port)).toBe(true);
}

const marker = `sigint-${Date.now().toString(36)}`;

describe("embedded PostgreSQL and Ctrl-C", () => {
  it("SIGINT to the launcher stops PostgreSQL cleanly, even with a client connected, leaving nothing behind", async () => {
    const first = await launch({ ownGroup: false });
    expect(first.output()).toMatch(/initialising a new PostgreSQL cluster/);
    const postmaster = postmasterPid()!;
    expect(isPostgres(postmaster)).toBe(true);

    // A row written in this run, and a connection left open as a running console would have.
    const sql = postgres(first.tradingUrl, { max: 1, onnotice: () => {} });
    await sql`insert into signal_outbox (symbol, payload) values ('SIGINT', ${sql.json({ marker })})`;
    const workers = childrenOf(postmaster);
    // Its server process, besides the postmaster's own background processes.
    expect(workers.length).toBeGreaterThan(1);

    first.child.kill("SIGINT");
    const { code, signal } = await exited(first);
    await sql.end({ timeout: 1 }).catch(() => {});
    expect(first.output()).toMatch(/SIGINT: stopping/);
    expect(first.output()).not.toMatch(/shutdown error/);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    await expectNothingLeft(postmaster, workers);
  }, 90_000);

  it("a second start reuses the data (the first run's row is there), and Ctrl-C in its terminal also leaves nothing behind", async () => {
    // Its own process group, as in a terminal: Ctrl-C sends SIGINT to the launcher and postgres at once.
    const second = await launch({ ownGroup: true });
    expect(second.output()).not.toMatch(/initialising a new PostgreSQL cluster/);
    expect(second.output()).not.toMatch(/orphaned/);
    const postmaster = postmasterPid()!;
    expect(isPostgres(postmaster)).toBe(true);

    const sql = postgres(second.tradingUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ symbol: string }[]>`select symbol from signal_outbox where payload->>'marker' = ${marker}`;
      expect(rows).toEqual([{ symbol: "SIGINT" }]);
    } finally {
      await sql.end({ timeout: 1 });
    }
    const workers = childrenOf(postmaster);

    process.kill(-second.child.pid!, "SIGINT");
    const { code, signal } = await exited(second);
    expect(second.output()).not.toMatch(/shutdown error/);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    await expectNothingLeft(postmaster, workers);
  }, 90_000);
});
