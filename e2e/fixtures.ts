import fs from "node:fs";
import { test as base, expect, type Page } from "@playwright/test";
import { e2eEnv } from "../playwright.config";

export type Persona = "oncall" | "viewer" | "auditor" | "admin";

export const emailOf = (p: Persona) => `${p}@demo.local`;

/** The sign-in page, as a user meets it. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/login");
  }

  async signIn(email: string, password: string) {
    await this.page.getByLabel("Email").fill(email);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  async signInAs(persona: Persona) {
    await this.goto();
    await this.signIn(emailOf(persona), e2eEnv.password);
    await expect(this.page.getByTestId("whoami")).toContainText(emailOf(persona));
  }
}

/** One health panel on the dashboard. */
export class Panel {
  constructor(
    private readonly page: Page,
    readonly id: string,
  ) {}

  get root() {
    return this.page.getByTestId(`panel-${this.id}`);
  }

  async expectStatus(status: "ok" | "warn" | "critical" | "unknown", timeout = 20_000) {
    await expect(this.root).toHaveAttribute("data-status", status, { timeout });
  }
}

/** The demo world's control server, found through the file the demo writes. */
export const sim = {
  url(): string {
    return (JSON.parse(fs.readFileSync(e2eEnv.simStateFile, "utf8")) as { controlUrl: string }).controlUrl;
  },
  async inject(name: string) {
    const res = await fetch(`${this.url()}/scenario/${name}`, { method: "POST" });
    expect(res.status, await res.text()).toBe(200);
  },
  async state(): Promise<{ lastSignalAt: string | null; active: string[] }> {
    const res = await fetch(`${this.url()}/state`);
    return (await res.json()) as { lastSignalAt: string | null; active: string[] };
  },
  async heal() {
    const res = await fetch(`${this.url()}/heal`, { method: "POST" });
    expect(res.status).toBe(200);
  },
};

export const test = base.extend<{ login: LoginPage }>({
  login: async ({ page }, use) => use(new LoginPage(page)),
});

export { expect };
