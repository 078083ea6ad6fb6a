/**
 * Wrong configuration at the real launcher: the command `npm start` runs (read from package.json),
 * as a child process. Each case must end with exit code 1 and a clear message naming the variable,
 * never a stack trace, and before anything is started: no database, no build, no data dir.
 *
 * No database is needed. TRADING_DATABASE_URL points at a closed port, so that a launcher whose
 * check is broken fails fast on the database instead of starting an embedded server and a build.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");
const startCommand = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
const UNREACHABLE_DB = "postgres://rc:rc@127.0.0.1:1/none";
const SECRET = "s".repeat(32);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-launcher-config-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Result = { code: number | null; stdout: string; stderr: string };

/**
 * Run `npm start`'s command with exactly this environment (plus PATH, HOME and a temporary DATA_DIR).
 * NODE_ENV=development as a developer's shell might have it: `npm start` must still run as production.
 */
function launch(env: Record<string, string>): Promise<Result> {
  const dataDir = path.join(tmp, "data");
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", startCommand], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmp, NODE_ENV: "development", DATA_DIR: dataDir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a launcher that does not stop can be killed with all it started.
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      // Whatever it ran must not have created the data dir (no embedded server, no secrets).
      resolve({ code, stdout: stdout + (fs.existsSync(dataDir) ? "\n[test] DATA_DIR was created\n" : ""), stderr });
    });
  });
}

/** Exit 1, the problem named in one line, and nothing that looks like a stack trace. */
function expectConfigError(r: Result, line: RegExp): void {
  expect(r.stderr, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toMatch(/Invalid configuration:\n {2}- /);
  const problems = r.stderr.split("\n").filter((l) => l.startsWith("  - "));
  expect(problems, r.stderr).toEqual([expect.stringMatching(line)]);
  for (const out of [r.stdout, r.stderr]) {
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toMatch(/node:internal|\.ts:\d+:\d+|ConfigError|Could not start/);
  }
  expect(r.stdout).not.toMatch(/starting embedded PostgreSQL|building the console|DATA_DIR was created/);
  expect(r.code).toBe(1);
}

/** Hold a port as another program would, on `host` (undefined: every address, like `next start`). */
async function occupy(host?: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, host, () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  return { port, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

describe("npm start with a wrong configuration", () => {
  it("runs scripts/serve.ts (what these cases exercise)", () => {
    expect(startCommand).toMatch(/scripts\/serve\.ts/);
  });

  it("names PORT when the console's port is already in use on every address", async () => {
    const held = await occupy();
    try {
      const r = await launch({ PORT: String(held.port), AUTH_SECRET: SECRET, TRADING_DATABASE_URL: UNREACHABLE_DB });
      expectConfigError(r, new RegExp(`^ {2}- PORT: port ${held.port} is already in use; stop what uses it or set PORT to a free port$`));
    } finally {
      await held.close();
    }
  }, 30_000);

  it("names PORT when another program holds the port on 127.0.0.1 only", async () => {
    const held = await occupy("127.0.0.1");
    try {
      const r = await launch({ PORT: String(held.port), AUTH_SECRET: SECRET, TRADING_DATABASE_URL: UNREACHABLE_DB });
      expectConfigError(r, new RegExp(`^ {2}- PORT: port ${held.port} is already in use`));
    } finally {
      await held.close();
    }
  }, 30_000);

  it("names PORT when it is not a port number", async () => {
    const r = await launch({ PORT: "http", AUTH_SECRET: SECRET, TRADING_DATABASE_URL: UNREACHABLE_DB });
    expectConfigError(r, /^ {2}- PORT: /);
  }, 30_000);

  it("names AUTH_SECRET when it is missing (npm start is production, whatever NODE_ENV says)", async () => {
    const r = await launch({ TRADING_DATABASE_URL: UNREACHABLE_DB });
    expectConfigError(r, /^ {2}- AUTH_SECRET: is required in production/);
  }, 30_000);

  it("names TRADING_DATABASE_URL when it is not a postgres URL, without echoing its password", async () => {
    const r = await launch({ AUTH_SECRET: SECRET, TRADING_DATABASE_URL: "mysql://admin:hunter2-secret@db.example.com/trading" });
    expectConfigError(r, /^ {2}- TRADING_DATABASE_URL: must be a URL like postgres:\/\/user:password@host:5432\/database$/);
    expect(r.stdout + r.stderr).not.toContain("hunter2-secret");
  }, 30_000);
});
