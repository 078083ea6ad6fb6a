/**
 * A second console, from the same build, configured with a public https origin
 * (CONSOLE_PUBLIC_URL) as a deployment behind a TLS-terminating proxy would be: HSTS is sent,
 * session cookies are Secure with the __Secure- prefix, and server actions are accepted from the
 * public origin but not from another one. Both are runtime settings: nothing is rebuilt.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { e2eEnv } from "../playwright.config";
import { consoleServerArgs } from "../scripts/lib/stack";
import { emailOf, expect, test } from "./fixtures";
import { encodeActionArgs, findAction } from "./support/actions";

const PUBLIC_ORIGIN = "https://recovery.example.test";
let server: ChildProcess;
let base: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

test.beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  const pgPassword = encodeURIComponent(fs.readFileSync(path.join(e2eEnv.dataDir, "pg.password"), "utf8").trim());
  const db = (name: string) => `postgres://postgres:${pgPassword}@127.0.0.1:${e2eEnv.pgPort}/${name}`;
  server = spawn(process.execPath, consoleServerArgs(), {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      AUTH_SECRET: fs.readFileSync(path.join(e2eEnv.dataDir, "auth-secret"), "utf8").trim(),
      CONSOLE_PUBLIC_URL: PUBLIC_ORIGIN,
      TRADING_DATABASE_URL: db("distortsignals"),
      CONSOLE_DATABASE_URL: db("console"),
      // The e2e world's users are the demo's.
      DEMO_MODE: "1",
    },
  });
  await expect.poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status ?? 0, { timeout: 30_000, intervals: [200] }).toBe(200);
});
test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
});

async function callLogin(origin: string, email: string, password: string) {
  const action = findAction("app/login/actions.ts", "loginAction")!;
  const body = await encodeActionArgs([{ ok: false }, { $form: { email, password, callbackUrl: "" } }]);
  return fetch(`${base}/login`, {
    method: "POST",
    body,
    redirect: "manual",
    headers: { "Next-Action": action.id, Accept: "text/x-component", Origin: origin },
  });
}

test("over https: HSTS, upgrade-insecure-requests, and Secure __Secure- session cookies", async () => {
  const res = await fetch(`${base}/login`);
  expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  expect(res.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");

  const login = await callLogin(PUBLIC_ORIGIN, emailOf("oncall"), e2eEnv.password);
  expect(login.status).toBe(200);
  const session = login.headers.getSetCookie().find((c) => c.includes("session-token="));
  expect(session).toMatch(/^__Secure-authjs\.session-token=/);
  expect(session).toMatch(/; Secure/i);
  expect(session).toMatch(/; HttpOnly/i);
  expect(session).toMatch(/; SameSite=Lax/i);
});

test("server actions are accepted from the public origin, and refused from any other", async () => {
  const ours = await callLogin(PUBLIC_ORIGIN, "nobody@example.test", "not the password");
  expect(ours.status).toBe(200);
  expect(await ours.text()).toContain("Email or password is incorrect.");
  const theirs = await callLogin("https://evil.example.test", "nobody@example.test", "not the password");
  expect(theirs.status).toBe(500);
  expect(await theirs.text()).not.toContain("Email or password is incorrect.");
});
