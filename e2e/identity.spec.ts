/**
 * Identity and roles, end to end: where each role lands, what a viewer can see (and cannot
 * do), the stakeholder status page, throttling, session cookies and expiry, revocation,
 * sudo mode with the re-authentication dialog, the session-update endpoint, and the security
 * headers on pages and APIs.
 */
import type { Browser, Page } from "@playwright/test";
import { hashPassword } from "../lib/auth/password";
import { verifyChain } from "../lib/recovery/audit/verify";
import { streamAuditRecords } from "../lib/db/queries/audit-records";
import { e2eEnv } from "../playwright.config";
import { emailOf, expect, LoginPage, Panel, sim, test, type Persona } from "./fixtures";
import { auditForRequest, auditHead, auditSince, consoleDb, userByEmail, type Sql } from "./support/console-db";
import { mintSessionCookie, nowSeconds, SESSION_COOKIE } from "./support/session";

let sql: Sql;
test.beforeAll(() => {
  sql = consoleDb();
});
test.afterAll(async () => {
  await sql?.end();
});
test.afterEach(async () => {
  await sim.heal();
});

/** A user made for one test, straight into the store (as `npm run user -- add` would). */
async function makeUser(email: string, role: string, password: string) {
  const hash = await hashPassword(password);
  await sql`
    insert into console.users (email, role, password_hash) values (${email}, ${role}, ${hash})
    on conflict (email) do update set role = excluded.role, password_hash = excluded.password_hash, disabled_at = null,
      session_version = console.users.session_version + 1`;
  return (await userByEmail(sql, email))!;
}

async function signedInPage(browser: Browser, persona: Persona, opts: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
  const context = await browser.newContext(opts);
  const page = await context.newPage();
  await new LoginPage(page).signInAs(persona);
  return page;
}

/** Buttons that act on the page itself (sign-out, copy to clipboard, show/hide), not on the trading system. */
const PAGE_CONTROLS = /^(Sign out|Copy\b.*|Show\b.*|Hide\b.*|Close)$/i;
const ACTION_NAMES = /reset circuit|cancel|kill|terminate|halt|approve|acknowledge|confirm|disable|enable|add user|set role|reset password/i;

/** Every button on the page that is not a page control, by accessible name. */
async function actionControls(page: Page): Promise<string[]> {
  const names = await page.getByRole("button").evaluateAll((els) => els.map((e) => (e.getAttribute("aria-label") ?? e.textContent ?? "").trim()));
  expect(names).toContain("Sign out"); // the page rendered its header
  return names.filter((n) => !PAGE_CONTROLS.test(n) || ACTION_NAMES.test(n)).sort();
}

test.describe("landing by role", () => {
  test("a viewer lands on /status; an auditor on the audit view; on-call and admin on the dashboard", async ({ browser }) => {
    const expected: Record<Persona, RegExp> = { viewer: /\/status$/, auditor: /\/audit$/, oncall: /:\d+\/$/, admin: /:\d+\/$/ };
    for (const persona of Object.keys(expected) as Persona[]) {
      const page = await signedInPage(browser, persona);
      await expect(page, persona).toHaveURL(expected[persona]);
      await page.context().close();
    }
  });

  test("a page asked for before signing in wins over the role's home", async ({ page, login }) => {
    await page.goto("/status");
    await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fstatus/);
    await login.signIn(emailOf("oncall"), e2eEnv.password);
    await expect(page).toHaveURL(/\/status$/);
  });
});

test("the viewer sees the status and no action controls anywhere, while on-call sees the action", async ({ browser }) => {
  await sim.inject("trade-director-stuck");

  const oncall = await signedInPage(browser, "oncall");
  const circuitForOncall = new Panel(oncall, "circuit_breaker");
  await circuitForOncall.expectStatus("critical");
  await expect(circuitForOncall.root.getByRole("button", { name: "Reset circuit" }).first()).toBeVisible();
  // The same check that must find nothing for the viewer finds on-call's action.
  expect(await actionControls(oncall)).toContain("Reset circuit");

  const viewer = await signedInPage(browser, "viewer");
  await expect(viewer).toHaveURL(/\/status$/);
  await expect(viewer.getByTestId("area-directives")).not.toHaveAttribute("data-level", "operational", { timeout: 20_000 });
  await expect(viewer.getByTestId("status-headline")).toHaveText(/^(Outage|Degraded)/);
  expect(await actionControls(viewer)).toEqual([]);

  await viewer.goto("/");
  const circuitForViewer = new Panel(viewer, "circuit_breaker");
  await circuitForViewer.expectStatus("critical");
  expect(await actionControls(viewer)).toEqual([]);
  await expect(viewer.getByRole("link", { name: "Users" })).toHaveCount(0);

  const forbidden = await viewer.goto("/admin/users");
  expect(forbidden?.status()).toBe(403);
  await expect(viewer.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await oncall.context().close();
  await viewer.context().close();
});

test("/status tells a stakeholder on a phone what is wrong and since when, and refreshes by itself", async ({ browser }) => {
  const page = await signedInPage(browser, "viewer", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await expect(page).toHaveURL(/\/status$/);
  const headline = page.getByTestId("status-headline");
  const signals = page.getByTestId("area-signals");
  // The demo world starts healthy for signals (other areas may show its background noise).
  await expect(signals).toHaveAttribute("data-level", "operational", { timeout: 20_000 });
  await expect(headline).toHaveText(/^(Trading systems: operating normally|Degraded: |Outage: |Status unknown: )/);
  await expect(page.getByTestId("status-updated")).toContainText("Last updated at");
  for (const area of ["signals", "directives", "execution", "database", "market_data"]) await expect(page.getByTestId(`area-${area}`)).toBeVisible();

  await sim.inject("signal-generator-crash");
  // No reload: the page polls /api/status.
  await expect(signals).toHaveAttribute("data-level", "outage", { timeout: 30_000 });
  await expect(headline).toHaveText(/^Outage: no new trading signals/);
  await expect(page.getByTestId("status-since")).toHaveText(/^Since \d\d:\d\d \S+ \((less than a minute|\d+ min)\)$/);
  await expect(signals.getByTestId("area-summary")).toContainText("No new trading signals");

  // Nothing for engineers' eyes only, and nothing wider than the phone.
  const text = (await page.locator("body").innerText()).toLowerCase();
  for (const word of ["select ", "pg_stat", "signal_outbox", "127.0.0.1", "postgres"]) expect(text).not.toContain(word);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  await sim.heal();
  await expect(signals).toHaveAttribute("data-level", "operational", { timeout: 30_000 });
  await expect(headline).not.toHaveText(/no new trading signals/);
  await page.context().close();
});

test("the status API is a reduced DTO, not the snapshot", async ({ browser }) => {
  const page = await signedInPage(browser, "viewer");
  const res = await page.request.get("/api/status");
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(Object.keys(body).sort()).toEqual(["areas", "generatedAt", "incident", "overall", "refreshSeconds"]);
  // Earlier specs in this run may leave an incident open (it resolves on its own once the checks are
  // ok for a while), so the incident is either absent or the reduced form: plain words, no check data.
  if (body.incident !== null) {
    expect(Object.keys(body.incident).sort()).toEqual(["level", "publicNotes", "startedAt", "title"]);
    expect(body.incident.level).toBeGreaterThanOrEqual(1);
  }
  expect(JSON.stringify(body)).not.toMatch(/"checks"|"detail"|"threshold"|"summary":"\d/);
  await page.context().close();
});

test.describe("sign-in throttling", () => {
  test("after three failures the account waits from this client, with a message that does not reveal whether it exists; a forged X-Forwarded-For changes neither the throttle key nor the audited address", async ({
    browser,
  }) => {
    const email = "throttle.target@example.com";
    const password = "the right passphrase 42";
    const accounts = [email, "no.such.person@example.com"];
    await makeUser(email, "viewer", password);
    await sql`delete from console.login_attempts where account_key in ${sql(accounts)}`;
    const head = await auditHead(sql);
    try {
      for (const who of accounts) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const login = new LoginPage(page);
        await login.goto();
        // The message is the same each time, so it cannot be what each try waits on: React resets
        // the form when the action has completed, so each try waits for that.
        const submit = page.getByRole("button", { name: "Sign in", exact: true });
        const attempt = async (pw: string, forged: string) => {
          // A client rotating the header it sends: were it trusted, each try would be a new client.
          await page.setExtraHTTPHeaders({ "x-forwarded-for": forged, "x-real-ip": forged });
          await login.signIn(who, pw);
          await expect(page.getByLabel("Password")).toHaveValue("");
          await expect(submit).toBeEnabled();
        };
        for (let i = 1; i <= 3; i++) {
          await attempt(`wrong password number ${i}`, `6.6.6.${i}`);
          await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
        }
        await attempt(who === email ? password : "anything at all", "6.6.6.4");
        await expect(page.getByTestId("login-error")).toHaveText(/^Too many failed sign-in attempts\. Try again in 1[0-5] seconds\.$/);
        await expect(page).toHaveURL(/\/login/);
        await context.close();
      }

      const entries = await auditSince(sql, head, { action: "auth.login" });
      // Repeated identical failures fold (lib/recovery/audit/fold.ts): the first is written at once,
      // the other two are counted into a summary entry written when the 60 s window closes.
      for (const who of accounts) {
        expect(entries.filter((e) => e.actor_email === who).map((e) => e.outcome)).toEqual(["failed", "throttled"]);
      }
      // The audit and the throttle saw the connection's address, never the forged one.
      const [seen] = await sql<{ ips: string[]; keys: string[] }[]>`
        select array(select distinct request->>'ip' from console.audit_log where seq > ${head} and action = 'auth.login' and actor_email in ${sql(accounts)}) as ips,
               array(select distinct client_key from console.login_attempts where account_key in ${sql(accounts)}) as keys`;
      expect(seen!.ips).toHaveLength(1);
      expect(seen!.ips[0]).toMatch(/^(127\.0\.0\.1|::1)$/);
      expect(seen!.keys).toEqual(seen!.ips);
    } finally {
      // These failures came from this machine's address, which every other spec signs in from.
      await sql`delete from console.login_attempts where account_key in ${sql(accounts)}`;
    }
  });

  test("a refused credentials sign-in over the API says how long to wait: 429 with Retry-After", async ({ request }) => {
    const account = "api.throttle@example.com";
    await sql`delete from console.login_attempts where account_key = ${account}`;
    try {
      const csrf = async () => ((await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string }).csrfToken;
      const post = async () =>
        request.post("/api/auth/callback/credentials", { form: { email: account, password: "wrong password", csrfToken: await csrf() }, maxRedirects: 0 });
      for (let i = 0; i < 3; i++) expect((await post()).status()).toBe(302);
      const refused = await post();
      expect(refused.status()).toBe(429);
      expect(Number(refused.headers()["retry-after"])).toBeGreaterThanOrEqual(10);
      expect(await refused.json()).toMatchObject({ error: "sign_in_throttled" });
    } finally {
      await sql`delete from console.login_attempts where account_key = ${account}`;
    }
  });
});

test.describe("sessions", () => {
  test("the session cookie is HttpOnly, SameSite=Lax, and not Secure over plain http", async ({ page, login }) => {
    await login.signInAs("oncall");
    const cookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false });
    // The idle timeout (30 min) is the cookie's life, renewed as the user works.
    expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(29 * 60);
    expect(cookie!.expires - Date.now() / 1000).toBeLessThanOrEqual(30 * 60 + 5);
  });

  test("a session idle for 30 minutes, or 12 hours old, is refused; a fresh one works", async ({ playwright }) => {
    const user = (await userByEmail(sql, emailOf("auditor")))!;
    const now = nowSeconds();
    const base = { sub: user.id, email: user.email, role: user.role, sv: user.session_version };
    const cases: Array<[string, Parameters<typeof mintSessionCookie>[0], number]> = [
      ["fresh", { ...base, startedAt: now - 60, lastSeen: now - 60 }, 200],
      ["idle 31 minutes", { ...base, startedAt: now - 40 * 60, lastSeen: now - 31 * 60 }, 401],
      ["12 hours old, active", { ...base, startedAt: now - 12 * 3600 - 60, lastSeen: now - 60 }, 401],
      ["an old session version (revoked)", { ...base, sv: user.session_version - 1, startedAt: now - 60, lastSeen: now - 60 }, 401],
    ];
    for (const [name, token, status] of cases) {
      const ctx = await playwright.request.newContext({
        baseURL: e2eEnv.baseURL,
        storageState: { cookies: [{ ...(await mintSessionCookie(token)), expires: now + 3600 }], origins: [] },
      });
      expect((await ctx.get("/api/status")).status(), name).toBe(status);
      await ctx.dispose();
    }
  });

  test("disabling a user ends their open session within 60 seconds", async ({ browser }) => {
    const email = "revoke.e2e@example.com";
    await makeUser(email, "viewer", "a long enough passphrase");
    const context = await browser.newContext();
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(email, "a long enough passphrase");
    await expect(page.getByTestId("whoami")).toContainText(email);
    expect((await page.request.get("/api/status")).status()).toBe(200);

    const admin = await signedInPage(browser, "admin");
    await admin.goto("/admin/users");
    const row = admin.getByTestId(`user-${email}`);
    await row.getByRole("button", { name: "Disable" }).click();
    await expect(row).toHaveAttribute("data-disabled", "true");
    const disabledAt = Date.now();

    await expect.poll(async () => (await page.request.get("/api/status")).status(), { timeout: 60_000, intervals: [1000] }).toBe(401);
    expect(Date.now() - disabledAt).toBeLessThan(60_000);
    await context.close();
    await admin.context().close();
  });

  test("the session update endpoint cannot raise a role or fake a recent sign-in", async ({ browser }) => {
    const page = await signedInPage(browser, "viewer");
    const before = await (await page.request.get("/api/auth/session")).json();
    const { csrfToken } = await (await page.request.get("/api/auth/csrf")).json();
    const res = await page.request.post("/api/auth/session", {
      data: { csrfToken, data: { role: "admin", authTime: nowSeconds() + 3600, user: { role: "admin" }, reauth: "forged.ticket" } },
    });
    expect(res.status()).toBe(200);
    const after = await (await page.request.get("/api/auth/session")).json();
    expect(after.user.role).toBe("viewer");
    expect(after.authTime).toBe(before.authTime);
    expect((await page.goto("/admin/users"))?.status()).toBe(403);
    await page.context().close();
  });
});

test.describe("sudo mode", () => {
  test("an admin whose sign-in is older than 15 minutes confirms the password before a change, and it is audited", async ({ browser }) => {
    const target = "sudo.target@example.com";
    await makeUser(target, "viewer", "a long enough passphrase");
    const admin = (await userByEmail(sql, emailOf("admin")))!;
    const now = nowSeconds();
    const context = await browser.newContext();
    // Signed in 20 minutes ago and active since: past the sudo window, inside the idle one.
    await context.addCookies([
      {
        ...(await mintSessionCookie({
          sub: admin.id,
          email: admin.email,
          role: "admin",
          sv: admin.session_version,
          startedAt: now - 20 * 60,
          lastSeen: now - 60,
        })),
        expires: now + 3600,
      },
    ]);
    const page = await context.newPage();
    await page.goto("/admin/users");
    const head = await auditHead(sql);

    const row = page.getByTestId(`user-${target}`);
    await row.getByRole("button", { name: "Disable" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await expect(dialog).toBeVisible();
    expect((await userByEmail(sql, target))!.disabled_at).toBeNull();

    await dialog.getByLabel("Password").fill("not my password at all");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect(dialog.getByTestId("reauth-error")).toHaveText("That password is not correct.");

    await dialog.getByLabel("Password").fill(e2eEnv.password);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect(dialog).toBeHidden();
    // The change goes through on its own once confirmed.
    await expect(row).toHaveAttribute("data-disabled", "true");

    const entries = await auditSince(sql, head);
    expect(entries.filter((e) => e.action === "auth.reauth").map((e) => e.outcome)).toEqual(["failed", "succeeded"]);
    expect(entries.find((e) => e.action === "users.disable")?.outcome).toBe("succeeded");
    // The change records the fresh proof of identity it was allowed on (sudo mode's auth_time).
    const authTime = Date.parse((entries.find((e) => e.action === "users.disable")?.detail as { auth_time?: string } | null)?.auth_time ?? "");
    expect(Date.now() - authTime).toBeLessThan(120_000);
    // The session now carries the new proof of identity.
    const session = await (await page.request.get("/api/auth/session")).json();
    expect(nowSeconds() - session.authTime).toBeLessThan(120);
    await context.close();
  });

  test("a fresh sign-in needs no confirmation, and the admin page validates input in place", async ({ browser }) => {
    const page = await signedInPage(browser, "admin");
    await page.goto("/admin/users");
    const form = page.getByTestId("add-user-form");
    await form.getByLabel("Email").fill("not-an-email");
    await form.getByLabel(/^Password/).fill("short");
    await form.getByRole("button", { name: "Add user" }).click();
    await expect(page.locator("#add-email-error")).toHaveText("Enter a valid email address.");
    await expect(page.locator("#add-password-error")).toContainText("at least 12 characters");
    await expect(page.getByRole("dialog")).toHaveCount(0);

    const email = `added.${Date.now()}@example.com`;
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Role").selectOption("auditor");
    await form.getByLabel(/^Password/).fill("a long enough passphrase");
    await form.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByTestId(`user-${email}`)).toHaveAttribute("data-role", "auditor");
    expect((await userByEmail(sql, email))?.role).toBe("auditor");
    await page.context().close();
  });
});

test("security headers on pages, APIs, redirects and assets, and the CSP nonce reaches Next's scripts", async ({ page, request, login }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text())) violations.push(m.text());
  });
  const check = (h: Record<string, string>, what: string) => {
    expect(h["content-security-policy"], what).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"], what).not.toContain("unsafe-eval");
    expect(h["x-content-type-options"], what).toBe("nosniff");
    expect(h["referrer-policy"], what).toBe("same-origin");
    // Plain http here: no HSTS (it is sent when the console is served over https).
    expect(h["strict-transport-security"], what).toBeUndefined();
  };
  for (const path of ["/login", "/api/status", "/api/health", "/healthz", "/api/auth/session"]) {
    check((await request.get(path)).headers(), path);
  }
  check((await request.get("/admin/users", { maxRedirects: 0 })).headers(), "redirect");

  const res = await page.goto("/login");
  const csp = res!.headers()["content-security-policy"]!;
  const nonce = csp.match(/'nonce-([^']+)'/)![1];
  const scriptNonces = await page.locator("script[src]").evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  const asset = await request.get((await page.locator("script[src]").first().getAttribute("src"))!);
  expect(asset.headers()["x-content-type-options"]).toBe("nosniff");
  expect(asset.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");

  // Hydrated pages work under the policy: sign in, see the live status.
  await login.signInAs("viewer");
  await expect(page.getByTestId("status-updated")).toBeVisible();
  expect(violations).toEqual([]);
  // A nonce is never reused.
  const again = (await request.get("/login")).headers()["content-security-policy"]!;
  expect(again).not.toContain(nonce);
});

test("denied page visits are audited with the request that made them", async ({ browser }) => {
  const page = await signedInPage(browser, "auditor");
  const requestId = `e2e-denied-${Date.now()}`;
  const res = await page.request.get("/admin/users", { headers: { "x-request-id": requestId } });
  expect(res.status()).toBe(403);
  const entries = await auditForRequest(sql, requestId);
  expect(entries).toMatchObject([{ action: "page:/admin/users", outcome: "denied", actor_email: emailOf("auditor") }]);
  await page.context().close();
});

test("a sign-in whose email or password holds a lone surrogate or a NUL is a plain failure, and the audit chain still verifies (issue 11)", async ({
  playwright,
}) => {
  const api = await playwright.request.newContext({ baseURL: e2eEnv.baseURL });
  const head = await auditHead(sql);
  for (const [email, password] of [
    ["ana\uD800@example.com", "whatever it is"],
    ["ana\u0000@example.com", "whatever it is"],
    [emailOf("viewer"), "pass\uDC00word"],
  ]) {
    const { csrfToken } = (await (await api.get("/api/auth/csrf")).json()) as { csrfToken: string };
    // As the request: a JSON body straight to the credentials callback, no form.
    const res = await api.post("/api/auth/callback/credentials", {
      headers: { "content-type": "application/json", "x-request-id": `e2e-malformed-${Date.now()}` },
      data: JSON.stringify({ email, password, csrfToken, callbackUrl: "/" }),
      maxRedirects: 0,
    });
    expect(res.status(), `${JSON.stringify(email)}: no server error`).toBeLessThan(500);
    expect(res.headers()["location"] ?? "", "not signed in").toMatch(/error=CredentialsSignin/);
  }
  // Refused at the edge: nothing recorded for them, and the chain holds.
  expect((await auditSince(sql, head, { action: "auth.login" })).filter((e) => /\uFFFD/.test(e.actor_email ?? ""))).toEqual([]);
  expect(await verifyChain(streamAuditRecords(sql))).toMatchObject({ ok: true });
  await api.dispose();
});
