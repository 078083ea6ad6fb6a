/**
 * A real load balancer in front of several consoles: Debian's nginx, run as a child process with
 * its own prefix and configuration (never the system service), plain round-robin over the
 * consoles' ports (no sticky sessions), with the proxy headers docs/deploying.md recommends.
 *
 * nginx connects to the consoles from its own address (`proxy_bind`, 127.0.0.2 by default: all
 * of 127.0.0.0/8 is loopback on Linux), so the consoles can trust exactly that address
 * (TRUSTED_PROXIES=127.0.0.2), as a deployment trusts exactly its proxy's, while a client on
 * 127.0.0.1 that forges X-Forwarded-For is still seen as 127.0.0.1.
 *
 * Each answer carries `X-Upstream-Addr` (nginx's $upstream_addr): which console served it. The
 * drills use it to show that consecutive requests land on different instances.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../../scripts/lib/stack.ts";

export const NGINX_BIN = process.env.NGINX_BIN || "/usr/sbin/nginx";

/** The address nginx connects to the consoles from: the one address they trust. */
export const NGINX_PROXY_ADDRESS = "127.0.0.2";

export type LoadBalancer = {
  /** Where clients reach it: http://127.0.0.1:<port>. */
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  /** The nginx.conf it runs. */
  config: string;
  stop(): Promise<void>;
};

/** The nginx.conf: one upstream of `ports`, round-robin, the proxy headers a deployment sets. */
export function nginxConfig(o: { dir: string; port: number; upstreams: number[]; bind?: string }): string {
  const bind = o.bind ?? NGINX_PROXY_ADDRESS;
  return `# Written by tests/support/harness/nginx.ts
worker_processes 1;
error_log ${path.join(o.dir, "error.log")} warn;
events { worker_connections 256; }
http {
  access_log ${path.join(o.dir, "access.log")};
  client_body_temp_path ${path.join(o.dir, "tmp-body")};
  proxy_temp_path ${path.join(o.dir, "tmp-proxy")};
  fastcgi_temp_path ${path.join(o.dir, "tmp-fastcgi")};
  uwsgi_temp_path ${path.join(o.dir, "tmp-uwsgi")};
  scgi_temp_path ${path.join(o.dir, "tmp-scgi")};

  upstream recovery_console {
    # Plain round-robin: no ip_hash, no sticky cookie. A console that refuses connections is
    # skipped for fail_timeout; requests that are not idempotent (POST) are never retried on another.
${o.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join("\n")}
    keepalive 16;
  }

  server {
    listen 127.0.0.1:${o.port};
    client_max_body_size 2m;

    location / {
      proxy_pass http://recovery_console;
      proxy_bind ${bind};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_buffering off;
      add_header X-Upstream-Addr $upstream_addr always;
    }
  }
}
`;
}

/** Start nginx in a fresh temporary prefix over `upstreams`; resolves once it answers. */
export async function startNginx(o: { upstreams: number[]; port?: number; log?: (line: string) => void }): Promise<LoadBalancer> {
  if (!fs.existsSync(NGINX_BIN)) throw new Error(`no nginx at ${NGINX_BIN}: install Debian's nginx-light (apt-get install -y nginx-light) or set NGINX_BIN`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-nginx-"));
  // nginx's workers run as an unprivileged user when the master is root: they must reach its temp folders.
  fs.chmodSync(dir, 0o755);
  const port = o.port ?? (await freePort());
  const config = nginxConfig({ dir, port, upstreams: o.upstreams });
  const conf = path.join(dir, "nginx.conf");
  fs.writeFileSync(conf, config);
  const args = ["-p", dir, "-c", conf, "-e", path.join(dir, "error.log"), "-g", `daemon off; pid ${path.join(dir, "nginx.pid")};`];
  // A configuration error is reported here, with nginx's own words, rather than as a timeout.
  const test = spawnSync(NGINX_BIN, ["-t", "-q", ...args], { encoding: "utf8", timeout: 10_000 });
  if (test.status !== 0) throw new Error(`nginx -t: ${(test.stderr || test.stdout || "").trim()}`);
  // Its own process group: the master and its workers end together (a SIGKILLed master alone
  // would leave its workers serving, orphaned).
  const child = spawn(NGINX_BIN, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  child.on("exit", () => (exited = true));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  // nginx outlives its parent: end it when we exit, however we exit (short of our own SIGKILL).
  const onExit = () => {
    if (!exited) killGroup();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);
  const lb: LoadBalancer = {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    child,
    config,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off("exit", onExit);
        const done = () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (exited) return done();
        // SIGQUIT: graceful stop (workers finish their requests); the whole group is SIGKILLed after 5 s.
        const kill = setTimeout(killGroup, 5000);
        child.once("exit", () => {
          clearTimeout(kill);
          killGroup();
          done();
        });
        child.kill("SIGQUIT");
      }),
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      await lb.stop();
      throw new Error(`nginx exited during start-up: ${stderr.trim() || readIfAny(path.join(dir, "error.log"))}`);
    }
    // The answer in full, or none: a slow start (or a busy machine) may time out mid-body too.
    const res = await fetch(`${lb.url}/healthz`, { signal: AbortSignal.timeout(2000) })
      .then(async (r) => (await r.arrayBuffer(), r))
      .catch(() => null);
    if (res?.ok) break;
    if (Date.now() > deadline) {
      await lb.stop();
      throw new Error(`nginx did not answer /healthz within 10 s (last: ${res?.status ?? "no answer"}): ${readIfAny(path.join(dir, "error.log"))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  o.log?.(`nginx at ${lb.url}: round-robin over ${o.upstreams.map((p) => `127.0.0.1:${p}`).join(", ")}, from ${NGINX_PROXY_ADDRESS}`);
  return lb;
}

function readIfAny(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "";
  }
}
