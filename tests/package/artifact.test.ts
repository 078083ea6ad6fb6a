/**
 * The production artifact as an operator installs it (docs/deploying.md): `npm run package` once
 * (it builds Next unless the build is current: slow), the tarball unpacked in a temporary folder
 * outside the repository (so nothing of the repository's node_modules or sources can be reached),
 * and run with `node` alone against a real PostgreSQL and a fresh, unmigrated console store:
 *  - it migrates the store and answers /healthz and /readyz; the login page renders;
 *  - the bundled user CLI adds a user, who signs in (next-auth's credentials callback) and loads the
 *    dashboard;
 *  - the log is JSON lines with level, time, request id (the audit entry's), route, status,
 *    duration and actor, and holds no password, cookie, session token, CSRF token or AUTH_SECRET;
 *  - SIGTERM: incident leadership is given up and the process exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../scripts/lib/stack.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

/** The environment of a machine that has node and nothing of ours: no tsx loader, no NODE_OPTIONS. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "LANG", "TZ"];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])), ...extra } as NodeJS.ProcessEnv;
}

const admin = () => postgres(inject("adminUrl"), { max: 1, onnotice: () => {} });
const dbName = `rc_test_artifact_${process.pid}_${Date.now().toString(36)}`;
let tmp: string;
let server: ChildProcess | null = null;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-artifact-"));
  const sql = admin();
  await sql.unsafe(`create database ${dbName}`);
  await sql.end();
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  const sql = admin();
  await sql.unsafe(`drop database if exists ${dbName} with (force)`);
  await sql.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the packaged artifact", () => {
  it("unpacks, runs with node alone against PostgreSQL, logs safely and stops cleanly on SIGTERM", { timeout: 300_000 }, async () => {
    // npm run package, as package.json runs it.
    const packaged = await run(process.execPath, ["--import", "tsx", path.join(root, "scripts", "package.ts")], { cwd: root });
    expect(packaged.code, packaged.stderr + packaged.stdout.slice(-3000)).toBe(0);
    const tarball = packaged.stdout.trim().split("\n").pop()!;
    expect(tarball).toMatch(/recovery-console-.+\.tar\.gz$/);

    const unpacked = await run("tar", ["-xzf", tarball, "-C", tmp], { cwd: tmp });
    expect(unpacked.code, unpacked.stderr).toBe(0);
    const [dir] = fs.readdirSync(tmp).filter((d) => d.startsWith("recovery-console-"));
    const app = path.join(tmp, dir!);
    // What it holds: the entry point and CLIs as plain JavaScript, the build, the migrations; no TypeScript config or sources.
    for (const f of [
      "bin/console-server.mjs",
      "bin/user.mjs",
      "bin/audit-verify.mjs",
      "bin/migrate.mjs",
      ".next/BUILD_ID",
      ".next/static",
      "drizzle/console/meta/_journal.json",
      "node_modules/next/package.json",
    ]) {
      expect(fs.existsSync(path.join(app, f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(app, "next.config.ts"))).toBe(false);
    expect(fs.existsSync(path.join(app, "scripts"))).toBe(false);

    const port = await freePort();
    const secret = randomBytes(32).toString("base64");
    const consoleUrl = withDb(inject("adminUrl"), dbName);
    const env = cleanEnv({
      TRADING_DATABASE_URL: inject("tradingUrl"),
      CONSOLE_DATABASE_URL: consoleUrl,
      AUTH_SECRET: secret,
      PORT: String(port),
      DATA_DIR: path.join(tmp, "data"),
    });

    // Started from elsewhere: the artifact finds its own root.
    let output = "";
    server = spawn(process.execPath, [path.join(app, "bin", "console-server.mjs")], { cwd: os.tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    server.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => server!.once("exit", (code) => resolve(code)));

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      expect(server.exitCode, output).toBeNull();
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      if (res?.ok) break;
      expect(Date.now() < deadline, `no /healthz within 60 s:\n${output}`).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(await ready.text()).toBe("ready\n");
    const login = await fetch(`${base}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("<form");

    // The bundled CLI, with node alone, against the same store.
    const email = "artifact-oncall@example.com";
    const password = `pw-${randomBytes(12).toString("hex")}`;
    const added = await run(process.execPath, [path.join(app, "bin", "user.mjs"), "add", email, "--role", "oncall", "--password-stdin"], {
      cwd: app,
      env,
      input: `${password}\n`,
    });
    expect(added.code, added.stderr).toBe(0);
    const verified = await run(process.execPath, [path.join(app, "bin", "audit-verify.mjs")], { cwd: app, env });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^OK: \d+ entries/);

    // Sign in through next-auth's credentials callback.
    const csrfRes = await fetch(`${base}/api/auth/csrf`);
    const csrfCookies = csrfRes.headers.getSetCookie().map((c) => c.split(";")[0]!);
    const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
    const signIn = await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookies.join("; ") },
      body: new URLSearchParams({ csrfToken, email, password }),
    });
    expect(signIn.status).toBe(302);
    await signIn.arrayBuffer();
    const signInId = signIn.headers.get("x-request-id");
    const session = signIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.startsWith("authjs.session-token="));
    expect(session, "a session cookie").toBeTruthy();
    const sessionToken = session!.split("=")[1]!;
    const dashboard = await fetch(`${base}/`, { headers: { cookie: [...csrfCookies, session!].join("; ") }, redirect: "manual" });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("</html>");
    const dashboardId = dashboard.headers.get("x-request-id");

    // Stop while a request is in flight: its headers and half its body are in; SIGTERM; then the
    // rest of the body. It is answered in full, then the process exits 0.
    const body = new URLSearchParams({ csrfToken, email, password }).toString();
    const slow = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => slow.once("connect", () => resolve()));
    let answer = "";
    slow.on("data", (c: Buffer) => (answer += c.toString()));
    const answered = new Promise<void>((resolve) => slow.once("end", () => resolve()));
    slow.write(
      `POST /api/auth/callback/credentials HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Cookie: ${csrfCookies.join("; ")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    // A request on another connection, answered: the server has read what came before it.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    server.kill("SIGTERM");
    const stopping = await (async () => {
      for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        const line = output.split("\n").find((l) => l.includes('"stopping: no new requests"'));
        if (line) return JSON.parse(line) as { inFlight: number };
      }
      throw new Error(`no shutdown line:\n${output}`);
    })();
    // The half-sent request, and perhaps the health check whose end is still being recorded.
    expect(stopping.inFlight, output).toBeGreaterThanOrEqual(1);
    // No new request is served now: a new connection is refused, one kept alive is answered 503.
    const late = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    expect(late === null || late.status === 503, `a request after SIGTERM was answered ${late?.status}`).toBe(true);
    slow.write(body.slice(10));
    await answered;
    expect(answer, output).toMatch(/^HTTP\/1\.1 302 /);
    expect(await exited, output).toBe(0);

    const lines = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLine = (id: string | null) => lines.find((l) => l.msg === "request" && l.requestId === id);
    const dash = requestLine(dashboardId);
    expect(dash).toMatchObject({ level: "info", route: "/", status: 200, actor: email, requestId: dashboardId });
    expect(typeof dash!.durationMs).toBe("number");
    expect(new Date(dash!.time as string).toISOString()).toBe(dash!.time);
    // The sign-in's log line and its audit entry carry the same request id.
    expect(requestLine(signInId)).toMatchObject({ route: "/api/auth/callback/credentials", status: 302 });
    const sql = postgres(consoleUrl, { max: 1, onnotice: () => {} });
    try {
      const entries = await sql<{ action: string }[]>`select action from console.audit_log where request->>'requestId' = ${signInId!}`;
      expect(entries.map((e) => e.action)).toEqual(["auth.login"]);
    } finally {
      await sql.end();
    }
    expect(
      lines.some((l) => l.hook === "incident leadership" && l.msg === "shutdown step done"),
      output,
    ).toBe(true);

    // Nothing secret reached the log.
    for (const [what, value] of Object.entries({ password, sessionToken, csrfToken, secret, cookieHeader: csrfCookies[0]! })) {
      expect(output.includes(value), `${what} was logged`).toBe(false);
    }
  });
});
