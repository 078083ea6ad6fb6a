/**
 * `npm run user` (scripts/user.ts) as an operator runs it: a real child process against the test
 * console store. Each change must land in console.users together with its audit entry (actor
 * "cli:<os user>"); bad input must exit non-zero with one clear line, no stack trace, and change
 * nothing. The interactive password prompt runs in a real pseudo-terminal (util-linux `script`),
 * which would echo what is typed unless the CLI turns echo off.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { verifyPassword } from "@/lib/auth/password";
import { connect, type Sql } from "../support/db";
import { runScript } from "../../scripts/lib/run-script";

const root = path.resolve(import.meta.dirname, "..", "..");
const cliActor = `cli:${os.userInfo().username}`;
// Unique per run, in case the store outlives one run (it is normally fresh).
const run = Date.now().toString(36);
const email = (name: string) => `${name}.${run}@example.com`;

let sql: Sql;
let tmp: string;

beforeAll(() => {
  sql = connect("console");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-user-cli-"));
});
afterAll(async () => {
  await sql.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Result = { code: number | null; stdout: string; stderr: string };

/** The command line `npm run user -- ...` runs (package.json), without npm's own banner. */
const nodeArgs = ["--conditions=react-server", "--import", "tsx", path.join(root, "scripts", "user.ts")];

function childEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tmp,
    NODE_ENV: "test",
    // DATA_DIR in a temp folder: the CLI must never touch the repository's .data.
    DATA_DIR: tmp,
    TRADING_DATABASE_URL: inject("tradingUrl"),
    CONSOLE_DATABASE_URL: inject("consoleUrl"),
  };
}

/** Run the CLI with stdin from a pipe (`--password-stdin`, or no terminal at all). */
function cli(args: string[], stdin = ""): Promise<Result> {
  return runScript("scripts/user.ts", args, { env: childEnv(), stdin });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run the CLI in a pseudo-terminal with echo on (as a terminal starts), answering each prompt
 * once it has appeared. Returns everything the terminal showed.
 */
function cliInTerminal(args: string[], answers: { prompt: string; type: string }[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, ...nodeArgs, ...args].map(shellQuote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["--quiet", "--return", "--echo", "always", "--command", command, "/dev/null"], {
      cwd: root,
      env: { ...childEnv(), SHELL: "/bin/sh", TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let seen = 0;
    let next = 0;
    const onOutput = (c: Buffer) => {
      screen += c.toString();
      // Answer a prompt only after it shows, as a person would; the CLI turns echo off before that.
      while (next < answers.length) {
        const at = screen.indexOf(answers[next]!.prompt, seen);
        if (at < 0) break;
        seen = at + answers[next]!.prompt.length;
        child.stdin.write(answers[next]!.type);
        next++;
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.on("error", reject);
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, screen });
    });
  });
}

type UserRow = { id: string; email: string; role: string; password_hash: string | null; session_version: number; disabled_at: Date | null };

async function userRow(e: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select id, email, role, password_hash, session_version, disabled_at from console.users where email = ${e}`;
  return row;
}

async function maxSeq(): Promise<number> {
  const [row] = await sql<{ seq: string | null }[]>`select max(seq)::text as seq from console.audit_log`;
  return Number(row?.seq ?? 0);
}

type AuditRow = {
  action: string;
  phase: string;
  outcome: string;
  actor_id: string;
  actor_email: string;
  actor_role: string;
  params: Record<string, unknown>;
  request: Record<string, unknown> | null;
};

async function auditAfter(seq: number): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select action, phase, outcome, actor_id, actor_email, actor_role, params, request
    from console.audit_log where seq > ${seq} order by seq`;
}

/** Everything the CLI could change: every user row, and the audit log's length. */
async function snapshot(): Promise<{ users: string; seq: number }> {
  const users = await sql`select * from console.users order by id`;
  return { users: JSON.stringify(users), seq: await maxSeq() };
}

function expectOk(r: Result): void {
  expect(r.stderr, `stderr: ${r.stderr}`).toBe("");
  expect(r.code).toBe(0);
}

/** Non-zero, one clear line on stderr naming the problem, and no stack trace anywhere. */
function expectRefused(r: Result, message: string): void {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.trim().split("\n");
  expect(lines, `stderr: ${r.stderr}`).toEqual([expect.stringContaining(message)]);
  for (const out of [r.stdout, r.stderr]) {
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toMatch(/node:internal|\.ts:\d+:\d+|ZodError|UserError/);
  }
}

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a different long passphrase";

describe("npm run user", () => {
  const alice = email("alice");

  it("add: creates the user with an argon2id hash of the password read from stdin, and audits it", async () => {
    const before = await maxSeq();
    const r = await cli(["add", alice.toUpperCase(), "--role", "oncall", "--password-stdin"], `${PASSWORD}\n`);
    expectOk(r);
    expect(r.stdout).toMatch(/^added .+ \(oncall\)\n$/i);
    expect(r.stdout).not.toContain(PASSWORD);

    const user = await userRow(alice);
    expect(user).toMatchObject({ email: alice, role: "oncall", disabled_at: null, session_version: 1 });
    expect(user!.password_hash).toMatch(/^\$argon2id\$/);
    // The trailing newline from stdin is not part of the password.
    expect(await verifyPassword(user!.password_hash!, PASSWORD)).toBe(true);

    const entries = await auditAfter(before);
    expect(entries).toEqual([
      expect.objectContaining({
        action: "users.add",
        outcome: "succeeded",
        actor_id: cliActor,
        actor_email: cliActor,
        actor_role: "admin",
        params: { email: alice, role: "oncall", withPassword: true },
        request: expect.objectContaining({ userAgent: "npm run user" }),
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(PASSWORD);
  });

  it("set-role: changes the role, ends open sessions (session version) and audits it", async () => {
    const was = (await userRow(alice))!;
    const before = await maxSeq();
    const r = await cli(["set-role", alice, "auditor"]);
    expectOk(r);
    expect(r.stdout).toBe(`${alice} is now auditor; their open sessions end within 60 s\n`);
    expect(await userRow(alice)).toMatchObject({
      role: "auditor",
      session_version: was.session_version + 1,
      disabled_at: null,
      password_hash: was.password_hash,
    });
    expect(await auditAfter(before)).toEqual([
      expect.objectContaining({
        action: "users.set_role",
        outcome: "succeeded",
        actor_email: cliActor,
        actor_role: "admin",
        params: { email: alice, role: "auditor" },
      }),
    ]);
  });

  it("reset-password: replaces the hash (old password no longer works), ends sessions, audits without the password", async () => {
    const was = (await userRow(alice))!;
    const before = await maxSeq();
    const r = await cli(["reset-password", alice, "--password-stdin"], NEW_PASSWORD);
    expectOk(r);
    expect(r.stdout).toBe(`password reset for ${alice}\n`);
    const user = (await userRow(alice))!;
    expect(user.session_version).toBe(was.session_version + 1);
    expect(user.role).toBe("auditor");
    expect(await verifyPassword(user.password_hash!, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(user.password_hash!, PASSWORD)).toBe(false);
    const entries = await auditAfter(before);
    expect(entries).toEqual([
      expect.objectContaining({ action: "users.reset_password", outcome: "succeeded", actor_email: cliActor, params: { email: alice } }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(NEW_PASSWORD);
  });

  it("disable and enable: set and clear disabled_at, each ending sessions and audited", async () => {
    const was = (await userRow(alice))!;
    const before = await maxSeq();
    const off = await cli(["disable", alice]);
    expectOk(off);
    expect(off.stdout).toBe(`${alice} disabled\n`);
    const disabled = (await userRow(alice))!;
    expect(disabled.disabled_at).toBeInstanceOf(Date);
    expect(disabled.session_version).toBe(was.session_version + 1);

    const listed = await cli(["list"]);
    expectOk(listed);
    expect(listed.stdout.split("\n")).toContain(`${alice.padEnd(32)} ${"auditor".padEnd(8)} disabled last login never`);

    const on = await cli(["enable", alice]);
    expectOk(on);
    expect(await userRow(alice)).toMatchObject({ disabled_at: null, session_version: was.session_version + 2 });
    expect((await auditAfter(before)).map((e) => [e.action, e.outcome, e.actor_email, e.params])).toEqual([
      ["users.disable", "succeeded", cliActor, { email: alice }],
      ["users.enable", "succeeded", cliActor, { email: alice }],
    ]);
  });

  it("list: one line per user in email order with role and state, changing nothing", async () => {
    const bob = email("bob");
    expectOk(await cli(["add", bob, "--role", "viewer", "--password-stdin"], PASSWORD));
    const before = await snapshot();
    const r = await cli(["list"]);
    expectOk(r);
    const lines = r.stdout.trimEnd().split("\n");
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from console.users`;
    expect(lines).toHaveLength(count!.n);
    expect(lines).toContain(`${alice.padEnd(32)} ${"auditor".padEnd(8)} active   last login never`);
    expect(lines).toContain(`${bob.padEnd(32)} ${"viewer".padEnd(8)} active   last login never`);
    const ordered = await sql<{ email: string }[]>`select email from console.users order by email`;
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(ordered.map((u) => u.email));
    expect(r.stdout).not.toMatch(/argon2/);
    expect(await snapshot()).toEqual(before);
  });

  it("asks for the password twice without echo when run in a terminal", async () => {
    const carol = email("carol");
    const before = await maxSeq();
    const { code, screen } = await cliInTerminal(
      ["add", carol, "--role", "viewer"],
      [
        { prompt: "Password (12+ characters): ", type: `${PASSWORD}\r` },
        { prompt: "Again: ", type: `${PASSWORD}\r` },
      ],
    );
    expect(screen).toContain("Again: ");
    expect(screen).toContain(`added ${carol} (viewer)`);
    // Nothing typed shows on the terminal, not even partially.
    expect(screen).not.toContain(PASSWORD.slice(0, 5));
    expect(code).toBe(0);
    const user = (await userRow(carol))!;
    expect(user.role).toBe("viewer");
    expect(await verifyPassword(user.password_hash!, PASSWORD)).toBe(true);
    expect((await auditAfter(before)).map((e) => e.action)).toEqual(["users.add"]);
  });

  it("refuses two different passwords typed at the prompts, changing nothing", async () => {
    const before = await snapshot();
    const { code, screen } = await cliInTerminal(
      ["add", email("dave"), "--role", "viewer"],
      [
        { prompt: "Password (12+ characters): ", type: `${PASSWORD}\r` },
        { prompt: "Again: ", type: `${NEW_PASSWORD}\r` },
      ],
    );
    expect(code).toBe(1);
    expect(screen).toMatch(/Error: the two passwords differ/);
    expect(screen).not.toMatch(/^\s+at /m);
    expect(screen).not.toContain(PASSWORD.slice(0, 5));
    expect(screen).not.toContain(NEW_PASSWORD.slice(0, 5));
    expect(await snapshot()).toEqual(before);
  });

  describe("bad input exits non-zero with one clear line and changes nothing", () => {
    const cases: { name: string; args: () => string[]; stdin?: string; message: () => string }[] = [
      {
        name: "add with an unknown role",
        args: () => ["add", email("erin"), "--role", "superuser", "--password-stdin"],
        stdin: PASSWORD,
        message: () => "Role must be one of: oncall, viewer, auditor, admin.",
      },
      { name: "set-role to an unknown role", args: () => ["set-role", alice, "root"], message: () => "Role must be one of: oncall, viewer, auditor, admin." },
      {
        name: "add with an invalid email",
        args: () => ["add", "not-an-email", "--role", "viewer", "--password-stdin"],
        stdin: PASSWORD,
        message: () => "Enter a valid email address.",
      },
      {
        name: "add with a short password",
        args: () => ["add", email("frank"), "--role", "viewer", "--password-stdin"],
        stdin: "short pw",
        message: () => "Password must be at least 12 characters.",
      },
      {
        name: "reset-password with a short password",
        args: () => ["reset-password", alice, "--password-stdin"],
        stdin: "eleven char",
        message: () => "Password must be at least 12 characters.",
      },
      {
        name: "add an email that exists",
        args: () => ["add", alice, "--role", "viewer", "--password-stdin"],
        stdin: PASSWORD,
        message: () => `A user with email ${alice} already exists.`,
      },
      { name: "set-role of an unknown user", args: () => ["set-role", email("nobody"), "viewer"], message: () => `No user with email ${email("nobody")}.` },
      { name: "disable an unknown user", args: () => ["disable", email("nobody")], message: () => `No user with email ${email("nobody")}.` },
      {
        name: "reset-password of an unknown user",
        args: () => ["reset-password", email("nobody"), "--password-stdin"],
        stdin: NEW_PASSWORD,
        message: () => `No user with email ${email("nobody")}.`,
      },
      {
        name: "add without a terminal and without --password-stdin",
        args: () => ["add", email("gina"), "--role", "viewer"],
        message: () => "no terminal to ask for the password; use --password-stdin",
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const before = await snapshot();
        expectRefused(await cli(c.args(), c.stdin), c.message());
        expect(await snapshot()).toEqual(before);
      });
    }
  });
});
