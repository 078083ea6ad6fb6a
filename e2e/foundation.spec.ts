import { expect, Panel, sim, test } from "./fixtures";

test.afterEach(async () => {
  await sim.heal();
});

test("anonymous visitors are sent to sign-in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Recovery Console" })).toBeVisible();
});

test("a wrong password gets a message that does not reveal whether the email exists", async ({ page, login }) => {
  await login.goto();
  await login.signIn("oncall@demo.local", "definitely-wrong-password");
  await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
  await login.signIn("nobody@demo.local", "definitely-wrong-password");
  await expect(page.getByTestId("login-error")).toHaveText("Email or password is incorrect.");
});

test("on-call sees the live signals panel turn red when the signal generator crashes, and green when healed", async ({ page, login }) => {
  await login.signInAs("oncall");
  const signals = new Panel(page, "signals_recent");
  await signals.expectStatus("ok");
  await expect(signals.root.getByTestId("value")).toHaveText(/^\d+/);
  await expect(signals.root.getByTestId("status")).toHaveText(/OK/);

  await sim.inject("signal-generator-crash");
  await signals.expectStatus("critical");
  await expect(signals.root.getByTestId("value")).toHaveText(/^0/);
  await expect(signals.root.getByTestId("status")).toHaveText(/Critical/);

  await sim.heal();
  await signals.expectStatus("ok");
});

test("a viewer can sign in and read health, and the session ends on sign-out", async ({ page, login }) => {
  await login.signInAs("viewer");
  await expect(page.getByTestId("whoami")).toContainText("viewer");
  const res = await page.request.get("/api/health");
  expect(res.status()).toBe(200);
  expect((await res.json()).checks.map((c: { id: string }) => c.id)).toContain("signals_recent");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  expect((await page.request.get("/api/health")).status()).toBe(401);
});
