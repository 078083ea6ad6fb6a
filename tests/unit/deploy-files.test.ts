/**
 * deploy/: the systemd unit passes `systemd-analyze verify` with nothing to say (the tool exits 0
 * even on unknown keys, so its output is what counts) and keeps its hardening; the Dockerfile is
 * multi-stage, runs as an unprivileged user, checks /healthz and starts the artifact's entry point
 * (tests/package/artifact.test.ts proves that entry point runs from the unpacked tarball).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");
const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
const ANALYZE = "/usr/bin/systemd-analyze";

describe("deploy/recovery-console.service", () => {
  const unit = read("deploy/recovery-console.service");

  it("has the usual hardening", () => {
    for (const line of [
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "PrivateDevices=yes",
      "DynamicUser=yes",
      "CapabilityBoundingSet=",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "SystemCallFilter=@system-service",
      "KillSignal=SIGTERM",
    ]) {
      expect(unit.split("\n"), line).toContain(line);
    }
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/recovery-console\/bin\/console-server\.mjs$/m);
  });

  it("passes systemd-analyze verify without a warning (where the tool exists)", () => {
    if (!fs.existsSync(ANALYZE)) return; // checked statically above; the tool is part of systemd
    const r = spawnSync(ANALYZE, ["verify", path.join(root, "deploy", "recovery-console.service")], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
  });
});

describe("deploy/Dockerfile", () => {
  const file = read("deploy/Dockerfile");
  const from = [...file.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gm)].map((m) => m[1]);

  it("builds in one stage and runs the artifact in another, as an unprivileged user", () => {
    expect(from).toEqual(["build", "run"]);
    const run = file.slice(file.lastIndexOf("\nFROM "));
    expect(run).toMatch(/^COPY --from=build .* \/app$/m);
    const user = run.match(/^USER\s+(\S+)/m)?.[1];
    expect(user).toBeTruthy();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(run).toMatch(/^CMD \["node", "bin\/console-server\.mjs"\]$/m);
    // The build stage packs with the same script the artifact test runs.
    expect(file).toMatch(/RUN npm run package/);
    expect(JSON.parse(read("package.json")).scripts.package).toContain("scripts/package.ts");
  });

  it("has a HEALTHCHECK on /healthz", () => {
    expect(file).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
  });
});
