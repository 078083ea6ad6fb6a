/**
 * `npm test`: everything, in order, with its own set-up:
 *   typecheck → lint → unit (vitest) → DB integration (vitest, real PostgreSQL) → e2e
 *   (Playwright, real Chromium, production build of the console and the demo world) → drills
 *   (the fast game-day drills of `npm run drills`, on the same build) → package (the artifact of
 *   `npm run package`, packed from the same build, unpacked and run with node alone: tests/package).
 * It ends with one line: `N passed, N failed`.
 *
 *   --only <typecheck|lint|unit|db|e2e|drills|package>[,...]   run a subset
 *   e2e/some.spec.ts ...                        only these Playwright specs
 * TEST_DATABASE_URL points the DB suites at an existing server (CI's second pass).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureBuild, freePort, log, root } from "./lib/stack.ts";

type Result = { name: string; passed: number; failed: number; skipped: number };
const steps = ["typecheck", "lint", "unit", "db", "e2e", "drills", "package"] as const;
type Step = (typeof steps)[number];

const onlyArg = process.argv.indexOf("--only");
const selected: Step[] =
  onlyArg > 0 ? (process.argv[onlyArg + 1] ?? "").split(",").filter((s): s is Step => (steps as readonly string[]).includes(s)) : [...steps];
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-test-"));
fs.chmodSync(tmp, 0o755);

function run(cmd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function banner(title: string) {
  console.log(`\n━━━ ${title} ${"━".repeat(Math.max(0, 70 - title.length))}`);
}

async function vitest(project: "unit" | "db" | "package"): Promise<Result> {
  const out = path.join(tmp, `vitest-${project}.json`);
  const code = await run(bin("vitest"), ["run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`]);
  try {
    const r = JSON.parse(fs.readFileSync(out, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      numFailedTestSuites: number;
    };
    // A suite that fails to load counts as a failure even though it ran no test.
    const failed = r.numFailedTests + (r.numFailedTests === 0 && code !== 0 ? Math.max(1, r.numFailedTestSuites) : 0);
    return { name: project, passed: r.numPassedTests, failed, skipped: r.numPendingTests + r.numTodoTests };
  } catch {
    return { name: project, passed: 0, failed: 1, skipped: 0 };
  }
}

/** A Chromium for Playwright: an override, Playwright's own, or Debian's; installed if none. */
async function ensureChromium(): Promise<Record<string, string>> {
  const explicit = process.env.PLAYWRIGHT_CHROMIUM_PATH;
  if (explicit && fs.existsSync(explicit)) return {};
  if (fs.existsSync("/usr/bin/chromium")) return {};
  try {
    const { chromium } = await import("@playwright/test");
    if (fs.existsSync(chromium.executablePath())) return {};
  } catch {
    // no Playwright browser
  }
  log("no Chromium found: trying Playwright's own download");
  if ((await run(bin("playwright"), ["install", "chromium"])) === 0) return {};
  if (process.getuid?.() === 0) {
    log("Playwright's download failed: installing Debian's chromium with apt (about 15 s)");
    if ((await run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium"])) === 0)
      return {};
  }
  throw new Error("no Chromium available: install Debian's chromium (apt-get install chromium) or set PLAYWRIGHT_CHROMIUM_PATH");
}

async function e2e(): Promise<Result> {
  try {
    const env = await ensureChromium();
    await ensureBuild(log);
    const out = path.join(tmp, "playwright.json");
    const specs = process.argv.slice(2).filter((a) => a.endsWith(".spec.ts"));
    const code = await run(bin("playwright"), ["test", ...specs], {
      ...env,
      PLAYWRIGHT_JSON_OUTPUT_NAME: out,
      E2E_PORT: String(await freePort()),
      E2E_PG_PORT: String(await freePort()),
      E2E_OIDC_PORT: String(await freePort()),
      E2E_DATA_DIR: path.join(tmp, "e2e-data"),
    });
    try {
      const r = JSON.parse(fs.readFileSync(out, "utf8")) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
      const failed = r.stats.unexpected + r.stats.flaky + (code !== 0 && r.stats.unexpected === 0 ? 1 : 0);
      return { name: "e2e", passed: r.stats.expected, failed, skipped: r.stats.skipped };
    } catch {
      return { name: "e2e", passed: 0, failed: 1, skipped: 0 };
    }
  } catch (err) {
    console.error(`e2e could not run: ${err instanceof Error ? err.message : String(err)}`);
    return { name: "e2e", passed: 0, failed: 1, skipped: 0 };
  }
}

/**
 * nginx for the fleet drill (drills/fleet.ts: several consoles behind a real load balancer): NGINX_BIN,
 * or Debian's /usr/sbin/nginx; as root, installed with apt when missing (nginx-light, about 5 s).
 * Only the binary is used: the drill runs it as a child process with its own configuration.
 */
async function ensureNginx(): Promise<void> {
  const explicit = process.env.NGINX_BIN;
  if (explicit && fs.existsSync(explicit)) return;
  if (fs.existsSync("/usr/sbin/nginx")) return;
  if (process.getuid?.() === 0) {
    log("no nginx found: installing Debian's nginx-light with apt (about 5 s)");
    if ((await run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light"])) === 0)
      return;
  }
  throw new Error("no nginx available: install Debian's nginx-light (apt-get install nginx-light) or set NGINX_BIN");
}

/** The fast drills (`npm run drills -- --fast`) on the e2e's build: one test per drill. */
async function drills(): Promise<Result> {
  try {
    await ensureNginx();
    await ensureBuild(log);
  } catch (err) {
    console.error(`drills could not run: ${err instanceof Error ? err.message : String(err)}`);
    return { name: "drills", passed: 0, failed: 1, skipped: 0 };
  }
  let out = "";
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "drills/run.ts", "--fast"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NEXT_DIST_DIR: process.env.NEXT_DIST_DIR || ".next" },
    });
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      process.stdout.write(c);
    });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const passed = (out.match(/^DRILL \S+: PASS$/gm) ?? []).length;
  const failed = (out.match(/^DRILL \S+: FAIL/gm) ?? []).length;
  return { name: "drills", passed, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), skipped: 0 };
}

async function main() {
  const results: Result[] = [];
  const started = Date.now();
  for (const step of selected) {
    banner(step === "db" && process.env.TEST_DATABASE_URL ? `db (against ${new URL(process.env.TEST_DATABASE_URL).host})` : step);
    switch (step) {
      case "typecheck":
      case "lint": {
        // lint: eslint, then the formatter's check (prettier; `npm run format` applies it).
        const code =
          step === "typecheck"
            ? await run(bin("tsc"), ["--noEmit"])
            : (await run(bin("eslint"), ["--max-warnings", "0", "."])) || (await run(bin("prettier"), ["--check", "--log-level", "warn", "."]));
        if (code === 0) console.log(`${step}: clean`);
        results.push({ name: step, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 });
        break;
      }
      case "unit":
      case "db":
      case "package":
        results.push(await vitest(step));
        break;
      case "e2e":
        results.push(await e2e());
        break;
      case "drills":
        results.push(await drills());
        break;
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  banner("summary");
  for (const r of results) console.log(`  ${r.name.padEnd(10)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}`);
  const total = results.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
  console.log(`  (${Math.round((Date.now() - started) / 1000)} s)`);
  if (process.env.TEST_SUMMARY_FILE) fs.appendFileSync(process.env.TEST_SUMMARY_FILE, `${total.passed} ${total.failed} ${total.skipped}\n`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
  process.exit(total.failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
