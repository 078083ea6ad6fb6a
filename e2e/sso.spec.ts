/**
 * Single sign-on through a real OpenID Connect provider started by this spec on localhost
 * (e2e/support/oidc-provider.ts): the full flow through the running console, the group → role
 * mapping, the no-role denial, the user upserted into console.users, sudo mode through SSO, and
 * signing out at the provider too (RP-initiated logout).
 */
import { e2eEnv } from "../playwright.config";
import { expect, test } from "./fixtures";
import { auditHead, auditSince, consoleDb, userByEmail, type Sql } from "./support/console-db";
import { startTestIdp, type TestIdp } from "./support/oidc-provider";
import { mintSessionCookie, nowSeconds } from "./support/session";
import type { Page } from "@playwright/test";

test.describe.configure({ mode: "serial" });

const USERS = [
  { sub: "idp-alice", email: "alice@sso.example.com", name: "Alice", groups: ["ops-oncall", "everyone"] },
  { sub: "idp-bob", email: "bob@sso.example.com", name: "Bob", groups: ["execs"] },
  { sub: "idp-carol", email: "carol@sso.example.com", name: "Carol", groups: ["engineering", "everyone"] },
  { sub: "idp-dave", email: "dave@sso.example.com", name: "Dave", groups: ["console-admins"] },
];

let idp: TestIdp;
let sql: Sql;

test.beforeAll(async () => {
  sql = consoleDb();
  idp = await startTestIdp({
    port: e2eEnv.oidc.port,
    clientId: e2eEnv.oidc.clientId,
    clientSecret: e2eEnv.oidc.clientSecret,
    redirectUri: `${e2eEnv.baseURL}/api/auth/callback/oidc`,
    postLogoutRedirectUri: `${e2eEnv.baseURL}/login`,
    users: USERS,
  });
});
test.afterAll(async () => {
  await idp?.close();
  await sql?.end();
});

async function ssoSignIn(page: Page, name: string) {
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with Test IdP" }).click();
  await expect(page.getByRole("heading", { name: "Test identity provider" })).toBeVisible();
  await page.getByRole("button", { name: `Continue as ${name}` }).click();
}

test("an SSO user in a mapped group signs in with the mapped role and is upserted without a password", async ({ page }) => {
  const head = await auditHead(sql);
  await ssoSignIn(page, "Bob");
  await expect(page).toHaveURL(/\/status$/);
  await expect(page.getByTestId("whoami")).toHaveText(/bob@sso\.example\.com · viewer/);

  const [user] = await sql<{ role: string; password_hash: string | null; sso_subject: string }[]>`
    select role, password_hash, sso_subject from console.users where email = 'bob@sso.example.com'`;
  expect(user).toEqual({ role: "viewer", password_hash: null, sso_subject: `${idp.issuer}#idp-bob` });
  const entries = await auditSince(sql, head, { email: "bob@sso.example.com" });
  expect(entries.map((e) => `${e.action}:${e.outcome}`)).toEqual(["users.add:succeeded", "auth.login:succeeded"]);
  expect(entries[1]!.detail).toMatchObject({ method: "sso", role: "viewer", values: ["execs"] });
  // The provider was asked with PKCE, state and nonce.
  expect(idp.authorizeLog.at(-1)).toMatchObject({ code_challenge_method: "S256", scope: "openid email profile" });
  expect(idp.authorizeLog.at(-1)!.state).toBeTruthy();
  expect(idp.authorizeLog.at(-1)!.nonce).toBeTruthy();
});

test("the most privileged mapped group decides: on-call lands on the dashboard", async ({ page }) => {
  await ssoSignIn(page, "Alice");
  await expect(page).toHaveURL(/:\d+\/$/);
  await expect(page.getByTestId("whoami")).toHaveText(/alice@sso\.example\.com · oncall/);
});

test("signing out of an SSO session also ends the provider's session (RP-initiated logout)", async ({ page }) => {
  await ssoSignIn(page, "Bob");
  await expect(page.getByTestId("whoami")).toHaveText(/bob@sso\.example\.com · viewer/);
  const before = idp.logoutLog.length;
  const head = await auditHead(sql);
  await page.getByRole("button", { name: "Sign out" }).click();
  // Through the provider's end_session_endpoint and back to the console's sign-in page.
  await expect(page).toHaveURL(`${e2eEnv.baseURL}/login`);
  expect(idp.logoutLog.slice(before)).toEqual([
    {
      params: expect.objectContaining({
        client_id: e2eEnv.oidc.clientId,
        post_logout_redirect_uri: `${e2eEnv.baseURL}/login`,
        id_token_hint: expect.any(String),
      }),
      hintSub: "idp-bob",
    },
  ]);
  expect((await page.request.get("/api/status")).status()).toBe(401);
  expect(await auditSince(sql, head, { email: "bob@sso.example.com", action: "auth.logout" })).toMatchObject([
    { outcome: "succeeded", detail: { idpLogout: true } },
  ]);
  // The ID token rides only in the encrypted cookie: the session the browser can read has none.
  await ssoSignIn(page, "Bob");
  await expect(page.getByTestId("whoami")).toHaveText(/bob@sso\.example\.com/);
  expect(JSON.stringify(await (await page.request.get("/api/auth/session")).json())).not.toMatch(/eyJ|idToken|id_token/);
});

test("signing out of a password session does not call the provider", async ({ page, login }) => {
  await login.signInAs("viewer");
  const before = idp.logoutLog.length;
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(idp.logoutLog.length).toBe(before);
});

test("a user with no mapped group gets no access, and the denial is audited", async ({ page }) => {
  const head = await auditHead(sql);
  await ssoSignIn(page, "Carol");
  await expect(page).toHaveURL(/\/login\?error=sso_no_role/);
  await expect(page.getByTestId("sso-error")).toHaveText(/no role in the Recovery Console/);
  expect(await userByEmail(sql, "carol@sso.example.com")).toBeUndefined();
  const entries = await auditSince(sql, head, { email: "carol@sso.example.com" });
  expect(entries).toMatchObject([{ action: "auth.login", outcome: "denied", reason: "no_role", detail: { values: ["engineering", "everyone"] } }]);
  // No session was created.
  expect((await page.request.get("/api/status")).status()).toBe(401);
});

test("an SSO user disabled in the console cannot sign in, like a local one", async ({ page }) => {
  await sql`update console.users set disabled_at = now(), session_version = session_version + 1 where email = 'alice@sso.example.com'`;
  try {
    await ssoSignIn(page, "Alice");
    await expect(page).toHaveURL(/\/login\?error=sso_disabled/);
    expect((await page.request.get("/api/status")).status()).toBe(401);
  } finally {
    await sql`update console.users set disabled_at = null where email = 'alice@sso.example.com'`;
  }
});

test("sudo mode sends an SSO admin back through the provider, which is asked to prompt again", async ({ page, browser }) => {
  await ssoSignIn(page, "Dave");
  await expect(page.getByTestId("whoami")).toHaveText(/dave@sso\.example\.com · admin/);
  const dave = (await userByEmail(sql, "dave@sso.example.com"))!;
  // Leave the dashboard: its polls renew the session cookie, and a renewal in flight would
  // overwrite a cookie swapped into this context (that race made this test flaky).
  await page.close();

  // The same admin, signed in through SSO 20 minutes ago: past the sudo window. A context of its own
  // holds only this session cookie.
  const now = nowSeconds();
  const context = await browser.newContext();
  await context.addCookies([
    {
      ...(await mintSessionCookie({
        sub: dave.id,
        email: dave.email,
        role: "admin",
        sv: dave.session_version,
        startedAt: now - 20 * 60,
        lastSeen: now - 60,
        amr: "sso",
      })),
      expires: now + 3600,
    },
  ]);
  const admin = await context.newPage();
  try {
    await admin.goto("/admin/users");
    const row = admin.getByTestId("user-bob@sso.example.com");
    await row.getByRole("button", { name: "Disable" }).click();
    const dialog = admin.getByRole("dialog", { name: "Confirm it's you" });
    await expect(dialog.getByRole("button", { name: "Continue with single sign-on" })).toBeVisible();
    await expect(dialog.getByLabel("Password")).toHaveCount(0);
    expect((await userByEmail(sql, "bob@sso.example.com"))!.disabled_at).toBeNull();
    await dialog.getByRole("button", { name: "Continue with single sign-on" }).click();

    await expect(admin.getByRole("heading", { name: "Test identity provider" })).toBeVisible();
    expect(idp.authorizeLog.at(-1)).toMatchObject({ prompt: "login", max_age: "0" });
    await admin.getByRole("button", { name: "Continue as Dave" }).click();
    await expect(admin).toHaveURL(/\/admin\/users$/);

    // Back with a fresh sign-in: the change now goes through without a prompt.
    await admin.getByTestId("user-bob@sso.example.com").getByRole("button", { name: "Disable" }).click();
    await expect(admin.getByTestId("user-bob@sso.example.com")).toHaveAttribute("data-disabled", "true");
    await expect(admin.getByRole("dialog")).toHaveCount(0);
  } finally {
    await context.close();
  }
});
