/**
 * The authorization matrix: every route handler and every server action (lib/recovery/access/endpoints.ts,
 * kept complete by tests/unit/endpoints.test.ts) called directly over HTTP, without the UI, as
 * anonymous, viewer, auditor, on-call and admin. Expectations come from the permission table
 * (lib/recovery/access/permissions.ts): for each call it checks the status, that nothing changed in the
 * console store, and the audit outcome (`denied` for a signed-in role without the permission).
 * Anonymous calls are repeated with the x-middleware-subrequest header (CVE-2025-29927).
 */
import { randomUUID } from "node:crypto";
import type { APIResponse, Browser, BrowserContextOptions } from "@playwright/test";
import { endpoints, type Endpoint } from "../lib/recovery/access/endpoints";
import { can } from "../lib/recovery/access/permissions";
import { e2eEnv } from "../playwright.config";
import { expect, LoginPage, test, type Persona } from "./fixtures";
import { actionManifest, encodeActionArgs, findAction } from "./support/actions";
import { auditForRequest, consoleDb, stateDigest, type Sql } from "./support/console-db";

type Who = "anonymous" | Persona;
type StorageState = NonNullable<Exclude<BrowserContextOptions["storageState"], string>>;

const PERSONAS: Persona[] = ["viewer", "auditor", "oncall", "admin"];
/** The header that once let a request skip Next's middleware entirely. */
const CVE_HEADER = { "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy" };
const EFFECT_OUTCOMES = ["succeeded", "pending", "partial", "timeout_unknown"];

let sql: Sql;
const storage = {} as Record<Persona, StorageState>;

/** Sign in through the real login page, once per persona, and keep the cookies. */
async function signInAll(browser: Browser) {
  for (const p of PERSONAS) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await new LoginPage(page).signInAs(p);
    storage[p] = await context.storageState();
    await context.close();
  }
}

test.beforeAll(async ({ browser }) => {
  sql = consoleDb();
  await signInAll(browser);
});
test.afterAll(async () => {
  await sql?.end();
});

type Expectation = "allowed" | "denied" | "anonymous" | "token-only";

function expectationFor(e: Endpoint, who: Who): Expectation {
  switch (e.access.kind) {
    case "public":
      return "allowed";
    case "token":
      return "token-only";
    case "session":
      return who === "anonymous" ? "anonymous" : "allowed";
    case "permission":
      return who === "anonymous" ? "anonymous" : can(who, e.access.permission) ? "allowed" : "denied";
  }
}

type Outcome = { res: Pick<APIResponse, "status" | "headers">; text: string; requestId: string };

async function call(
  playwright: { request: { newContext: (o: object) => Promise<import("@playwright/test").APIRequestContext> } },
  e: Endpoint,
  who: Who,
  extraHeaders: Record<string, string> = {},
): Promise<Outcome> {
  const requestId = `matrix-${randomUUID()}`;
  const ctx = await playwright.request.newContext({ baseURL: e2eEnv.baseURL, storageState: who === "anonymous" ? undefined : storage[who] });
  const headers = { "x-request-id": requestId, ...extraHeaders };
  try {
    let res: APIResponse;
    if (e.kind === "route" && e.stream) {
      // A live stream does not end: its status and headers are the answer, then the connection is cut.
      const cookie = (await ctx.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join("; ");
      const cut = new AbortController();
      const r = await fetch(new URL(e.path, e2eEnv.baseURL), {
        method: e.method,
        headers: { ...headers, ...(cookie ? { cookie } : {}) },
        redirect: "manual",
        signal: cut.signal,
      });
      const text = r.headers.get("content-type")?.startsWith("text/event-stream") ? "" : await r.text();
      cut.abort();
      const answer = { status: () => r.status, headers: () => Object.fromEntries(r.headers) };
      return { res: answer, text, requestId };
    }
    if (e.kind === "route") {
      const qs = e.example.query ? `?${new URLSearchParams(e.example.query)}` : "";
      res = await ctx.fetch(`${e.path}${qs}`, {
        method: e.method,
        headers: { ...headers, ...e.example.headers, ...(e.example.body !== undefined ? { "content-type": "application/json" } : {}) },
        data: e.example.body === undefined ? undefined : JSON.stringify(e.example.body),
        maxRedirects: 0,
      });
    } else {
      const found = findAction(e.file, e.exportName)!;
      const body = await encodeActionArgs(e.example.args);
      res = await ctx.post(found.pagePath, {
        headers: {
          ...headers,
          "Next-Action": found.id,
          Accept: "text/x-component",
          ...(typeof body === "string" ? { "content-type": "text/plain;charset=UTF-8" } : {}),
        },
        ...(typeof body === "string" ? { data: body } : { multipart: body }),
        maxRedirects: 0,
      });
    }
    return { res, text: await res.text(), requestId };
  } finally {
    await ctx.dispose();
  }
}

/** What an action's body says about authorization (React Flight text). */
const saysOk = (text: string) => /"ok":true/.test(text);
const saysAuthError = (text: string) => /"code":"auth\.(required|forbidden|revoked)"|may not do this|Sign in to continue|session has ended/.test(text);

async function check(playwright: Parameters<typeof call>[0], e: Endpoint, who: Who, extraHeaders: Record<string, string> = {}) {
  const label = `${e.id} as ${who}${Object.keys(extraHeaders).length ? " with x-middleware-subrequest" : ""}`;
  const expected = expectationFor(e, who);
  const before = await stateDigest(sql);
  const { res, text, requestId } = await call(playwright, e, who, extraHeaders);
  const status = res.status();
  const audit = await auditForRequest(sql, requestId);
  const denied = audit.filter((a) => a.outcome === "denied");
  const effects = audit.filter((a) => EFFECT_OUTCOMES.includes(a.outcome));

  expect.soft(status, `${label}: no server error`).toBeLessThan(500);
  switch (expected) {
    case "anonymous":
      if (e.kind === "route") expect.soft(status, `${label}: 401`).toBe(401);
      else {
        // Stopped by the proxy (a redirect to sign-in) or refused by the action itself.
        const redirectedToLogin = [303, 307, 308].includes(status) && /\/login/.test(res.headers()["location"] ?? "");
        expect.soft(redirectedToLogin || (status === 200 && !saysOk(text)), `${label}: refused (${status})`).toBe(true);
      }
      expect.soft(effects, `${label}: no effect`).toEqual([]);
      break;
    case "token-only":
      expect.soft(status, `${label}: a session or no credentials get 401`).toBe(401);
      expect.soft(effects, `${label}: no effect`).toEqual([]);
      break;
    case "denied":
      if (e.kind === "route") expect.soft(status, `${label}: 403`).toBe(403);
      else {
        expect.soft(status, `${label}: a typed refusal, not an error`).toBe(200);
        expect.soft(saysOk(text), `${label}: not ok`).toBe(false);
      }
      expect.soft(denied.length, `${label}: audited as denied`).toBe(1);
      expect.soft(effects, `${label}: no effect`).toEqual([]);
      break;
    case "allowed":
      if (e.kind === "route") expect.soft([401, 403], `${label}: authorized (${status})`).not.toContain(status);
      else expect.soft(saysAuthError(text), `${label}: authorized`).toBe(false);
      expect.soft(denied, `${label}: not denied`).toEqual([]);
      if (!e.effectWhenAllowed) expect.soft(effects, `${label}: the safe example has no effect`).toEqual([]);
      break;
  }
  expect.soft(await stateDigest(sql), `${label}: the console store is unchanged`).toBe(before);
  return { status, expected };
}

test("the registry covers every server action in this build", () => {
  const registered = new Set(endpoints.filter((e) => e.kind === "action").map((e) => e.id));
  const built = Object.values(actionManifest()).map((v) => `${v.filename}#${v.exportedName}`);
  expect(
    built.filter((id) => !registered.has(id)),
    "server actions missing from lib/recovery/access/endpoints.ts",
  ).toEqual([]);
});

for (const e of endpoints) {
  const reachable = e.kind === "route" || findAction(e.file, e.exportName) !== null;
  if (!reachable) {
    // Not imported by any page, so Next serves no id for it: nothing to call over HTTP.
    test(`${e.id}: not served by this build`, () => {
      expect(findAction((e as Extract<Endpoint, { kind: "action" }>).file, (e as Extract<Endpoint, { kind: "action" }>).exportName)).toBeNull();
    });
    continue;
  }
  test(`${e.id} (${e.access.kind === "permission" ? e.access.permission : e.access.kind})`, async ({ playwright, browser }) => {
    const results: string[] = [];
    for (const who of ["anonymous", ...PERSONAS] as Who[]) {
      const r = await check(playwright, e, who);
      results.push(`${who}: ${r.expected} → ${r.status}`);
    }
    // CVE-2025-29927: the header that skipped middleware changes nothing.
    await check(playwright, e, "anonymous", CVE_HEADER);
    test.info().annotations.push({ type: "matrix", description: results.join("; ") });
    if (e.kind === "action" && e.endsSession) {
      // Signed out for real: the personas' sessions are refused from now on...
      for (const who of PERSONAS) {
        const ctx = await playwright.request.newContext({ baseURL: e2eEnv.baseURL, storageState: storage[who] });
        expect.soft((await ctx.get("/api/status")).status(), `${who} signed out`).toBe(401);
        await ctx.dispose();
      }
      // ...so the next endpoints get fresh ones.
      await signInAll(browser);
    }
  });
}

/**
 * Malformed calls over HTTP (issue 12, point 8): every served action, as anonymous and as an
 * on-call, with bodies a browser never sends. Each gets a 4xx or a typed refusal, never a 500, and
 * the console store is unchanged (lib/http/action-request.ts, lib/actions/mutation.ts).
 */
test("every server action answers malformed bodies without a 500 and without an effect", async ({ playwright }) => {
  const malformed: Array<[string, () => Promise<{ body: string | Buffer | FormData; type?: string }>]> = [
    ["junk text", async () => ({ body: "[zxc", type: "text/plain;charset=UTF-8" })],
    ["JSON that is not a list", async () => ({ body: '{"a":1}', type: "text/plain;charset=UTF-8" })],
    ["invalid UTF-8", async () => ({ body: Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), type: "text/plain;charset=UTF-8" })],
    ["1 MB", async () => ({ body: Buffer.alloc(1024 * 1024, 0x61), type: "text/plain;charset=UTF-8" })],
    ["a reference to a missing part", async () => ({ body: '["$@7"]', type: "text/plain;charset=UTF-8" })],
    ["wrong types, well encoded", async () => ({ body: (await encodeActionArgs([42, null, ["x"], { $ne: 1 }])) as string, type: "text/plain;charset=UTF-8" })],
    [
      "a lone surrogate and NUL, well encoded",
      async () => ({
        body: (await encodeActionArgs([{ email: "\uD800\u0000", text: "\u0000", reason: "\uDFFF".repeat(20) }])) as string,
        type: "text/plain;charset=UTF-8",
      }),
    ],
    [
      "a junk form",
      async () => {
        const fd = new FormData();
        fd.append("0", "[zxc");
        fd.append("1_email", "x");
        return { body: fd };
      },
    ],
  ];
  const served = endpoints.filter(
    (e): e is Extract<Endpoint, { kind: "action" }> => e.kind === "action" && !e.endsSession && findAction(e.file, e.exportName) !== null,
  );
  const answered: string[] = [];
  for (const who of ["anonymous", "oncall"] as const) {
    const ctx = await playwright.request.newContext({ baseURL: e2eEnv.baseURL, storageState: who === "anonymous" ? undefined : storage[who] });
    for (const e of served) {
      const found = findAction(e.file, e.exportName)!;
      for (const [label, make] of malformed) {
        const before = await stateDigest(sql);
        const { body, type } = await make();
        const headers: Record<string, string> = { "Next-Action": found.id, Accept: "text/x-component", ...(type ? { "content-type": type } : {}) };
        const res =
          body instanceof FormData
            ? await ctx.post(found.pagePath, { headers, multipart: body, maxRedirects: 0 })
            : await ctx.post(found.pagePath, { headers, data: body, maxRedirects: 0 });
        const status = res.status();
        const text = await res.text();
        answered.push(String(status));
        expect.soft(status, `${e.id} as ${who} with ${label}: no server error`).toBeLessThan(500);
        expect.soft(saysOk(text), `${e.id} as ${who} with ${label}: not ok`).toBe(false);
        expect.soft(await stateDigest(sql), `${e.id} as ${who} with ${label}: the console store is unchanged`).toBe(before);
      }
    }
    await ctx.dispose();
  }
  test.info().annotations.push({ type: "statuses", description: [...new Set(answered)].join(", ") });
});

test("x-middleware-subrequest does not open pages to the anonymous (CVE-2025-29927)", async ({ playwright }) => {
  const ctx = await playwright.request.newContext({ baseURL: e2eEnv.baseURL });
  for (const value of [
    "proxy:proxy:proxy:proxy:proxy",
    "middleware:middleware:middleware:middleware:middleware",
    "src/proxy:src/proxy:src/proxy:src/proxy:src/proxy",
  ]) {
    for (const path of ["/", "/status", "/admin/users", "/audit"]) {
      const res = await ctx.get(path, { headers: { "x-middleware-subrequest": value }, maxRedirects: 0 });
      expect.soft(res.status(), `${path} with ${value}`).toBe(307);
      expect.soft(res.headers()["location"] ?? "", `${path} with ${value}`).toMatch(/\/login/);
    }
    const api = await ctx.get("/api/status", { headers: { "x-middleware-subrequest": value } });
    expect.soft(api.status()).toBe(401);
  }
  await ctx.dispose();
});
