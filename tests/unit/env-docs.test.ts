/**
 * docs/configuration.md promises every variable the console reads, and .env.example shows each with an
 * example: a variable added to lib/env.ts (or read straight from process.env by the launcher, the
 * demo or the build) without its documentation fails here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");

/** Set by Node, Next or the test runner itself, not by an operator. */
const NOT_OPERATOR_SETTINGS = new Set(["NODE_ENV", "NEXT_PHASE", "NEXT_RUNTIME", "TEST_SUMMARY_FILE", "CI"]);

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => path.join(dir, f));
}

function variablesRead(): string[] {
  const names = new Set<string>();
  for (const m of read("lib/env.ts").matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)) names.add(m[1]!);
  const files = [...sources("lib"), ...sources("scripts"), ...sources("sim"), ...sources("app"), "auth.ts", "proxy.ts", "next.config.ts"];
  for (const f of files) for (const m of read(f).matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]+)|\["([A-Z][A-Z0-9_]+)"\])/g)) names.add((m[1] ?? m[2])!);
  return [...names].filter((n) => !NOT_OPERATOR_SETTINGS.has(n)).sort();
}

describe("configuration documentation", () => {
  const vars = variablesRead();

  it("finds the variables (the scan itself works)", () => {
    expect(vars).toEqual(expect.arrayContaining(["TRADING_DATABASE_URL", "CONSOLE_DATABASE_URL", "AUTH_SECRET", "EMBEDDED_PG_PORT"]));
  });

  it("names every variable in the configuration reference", () => {
    const reference = read("docs/configuration.md");
    expect(vars.filter((v) => !reference.includes(`\`${v}\``))).toEqual([]);
  });

  it("shows every variable in .env.example", () => {
    const example = read(".env.example");
    expect(vars.filter((v) => !new RegExp(`^#?\\s*${v}=`, "m").test(example))).toEqual([]);
  });
});
