/**
 * The console under test, as an operator runs it: the production build (scripts/console-server.ts) in its own
 * process, with its own environment, reached over HTTP. Shared by the bench and the drills.
 *
 * - build: scripts/lib/stack.ts ensureBuild, into NEXT_DIST_DIR (the bench defaults it to
 *   .next-bench, the drills to .next-drills, so a running demo's .next is left alone);
 * - users: rows in console.users, and session cookies minted the way the console mints them
 *   (next-auth's encrypted JWT under the run's AUTH_SECRET), with a fresh sign-in time;
 * - server actions: called by hand, as a browser (or an attacker) does: a POST with the Next-Action
 *   header naming the action's id from the build's server-reference manifest, the arguments
 *   encoded by React's own encodeReply, and the answer decoded by React's Flight client.
 */
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { encode } from "@auth/core/jwt";
import type postgres from "postgres";
import { ensureBuild, root, startConsole, type ConsoleServer } from "../../../scripts/lib/stack.ts";

const require = createRequire(import.meta.url);
type Flight = {
  encodeReply(v: unknown): Promise<string | FormData>;
  createFromReadableStream<T>(stream: ReadableStream<Uint8Array>, opts: { serverConsumerManifest: unknown }): Promise<T>;
};
// The Flight client the console's own pages use, from Next's copy of React.
const flight = require("next/dist/compiled/react-server-dom-turbopack/client.node") as Flight;

export const SESSION_COOKIE = "authjs.session-token";

export function distDir(): string {
  return path.resolve(root, process.env.NEXT_DIST_DIR || ".next");
}

/**
 * ensureBuild, then put tsconfig.json back: `next build` adds its dist dir's type folders to
 * tsconfig's `include`, which a bench or drill build has no business committing.
 */
export async function buildConsole(log: (line: string) => void): Promise<void> {
  const tsconfig = path.join(root, "tsconfig.json");
  const before = fs.readFileSync(tsconfig, "utf8");
  try {
    await ensureBuild(log);
  } finally {
    if (fs.readFileSync(tsconfig, "utf8") !== before) fs.writeFileSync(tsconfig, before);
  }
}

export type ConsoleUnderTest = ConsoleServer & {
  port: number;
  env: Record<string, string>;
  authSecret: string;
  apiToken: string;
  /** Start it again after a stop or a kill, with the same port and environment (changed by `extra`: undefined removes a variable). */
  restart(extra?: Record<string, string | undefined>): Promise<ConsoleUnderTest>;
};

export function secret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

/** Start the console server on `port` with `env` (AUTH_SECRET and CONSOLE_API_TOKEN are added when missing). */
export async function launchConsole(o: { port: number; env: Record<string, string>; logFile: string; log: (line: string) => void }): Promise<ConsoleUnderTest> {
  const env = { AUTH_SECRET: secret(), CONSOLE_API_TOKEN: secret(), NEXT_DIST_DIR: path.relative(root, distDir()), ...o.env };
  const server = await startConsole({ port: o.port, env, log: o.log, logFile: o.logFile });
  const self: ConsoleUnderTest = {
    ...server,
    port: o.port,
    env,
    authSecret: env.AUTH_SECRET!,
    apiToken: env.CONSOLE_API_TOKEN!,
    restart: (extra = {}) => {
      const next: Record<string, string> = { ...env };
      for (const [k, v] of Object.entries(extra)) {
        if (v === undefined) delete next[k];
        else next[k] = v;
      }
      return launchConsole({ ...o, env: next });
    },
  };
  return self;
}

export type TestUser = { id: string; email: string; role: string; sv: number };

/** A user row (no password: sessions are minted), created or reset to `role`. */
export async function ensureUser(consoleDb: postgres.Sql, email: string, role: string): Promise<TestUser> {
  const [u] = await consoleDb<{ id: string; session_version: number }[]>`
    insert into console.users (email, role) values (${email}, ${role})
    on conflict (email) do update set role = excluded.role, disabled_at = null
    returning id, session_version`;
  return { id: u!.id, email, role, sv: u!.session_version };
}

/** A session cookie for `user`, signed in just now (so destructive actions pass the sudo check). */
export async function sessionCookie(authSecret: string, user: TestUser): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const value = await encode({
    token: {
      sub: user.id,
      email: user.email,
      name: null,
      role: user.role as never,
      sv: user.sv,
      startedAt: now,
      authTime: now,
      lastSeen: now,
      amr: "password",
    },
    secret: authSecret,
    salt: SESSION_COOKIE,
    maxAge: 12 * 3600,
  });
  return `${SESSION_COOKIE}=${value}`;
}

type ManifestEntry = { filename: string; exportedName: string; workers: Record<string, unknown> };

/** A recorded server-action request: what a browser sent, replayable byte for byte. */
export type ActionRequest = { path: string; headers: Record<string, string>; body: string };

export type ActionAnswer<T> = { status: number; value: T | undefined; text: string; ms: number; headers: Headers };

export class ActionClient {
  private readonly manifest: Record<string, ManifestEntry>;

  constructor(
    readonly baseUrl: string,
    dist = distDir(),
  ) {
    this.manifest = (
      JSON.parse(fs.readFileSync(path.join(dist, "server", "server-reference-manifest.json"), "utf8")) as { node: Record<string, ManifestEntry> }
    ).node;
  }

  /** Every server action in the build: its id, file and export. */
  actions(): { id: string; file: string; name: string }[] {
    return Object.entries(this.manifest).map(([id, v]) => ({ id, file: v.filename, name: v.exportedName }));
  }

  /** The action's id and a page that serves it. */
  locate(file: string, exportName: string): { id: string; pagePath: string } {
    const hit = Object.entries(this.manifest).find(([, v]) => v.filename === file && v.exportedName === exportName);
    if (!hit) throw new Error(`the build has no server action ${exportName} in ${file}`);
    const worker = Object.keys(hit[1].workers).find((w) => w.endsWith("/page") && !w.includes("[")) ?? Object.keys(hit[1].workers)[0]!;
    const route = worker
      .replace(/^app/, "")
      .replace(/\/page$/, "")
      .replace(/\/\([^)]+\)/g, "");
    return { id: hit[0], pagePath: route || "/" };
  }

  /** The request a browser would send for `exportName(...args)`, with `cookie` (not sent). */
  async request(file: string, exportName: string, args: unknown[], cookie: string | null, requestId?: string): Promise<ActionRequest> {
    const { id, pagePath } = this.locate(file, exportName);
    const body = await flight.encodeReply(args);
    if (typeof body !== "string") throw new Error("only JSON-encodable arguments are supported");
    const headers: Record<string, string> = {
      "Next-Action": id,
      Accept: "text/x-component",
      "Content-Type": "text/plain;charset=UTF-8",
      Origin: this.baseUrl,
      "X-Request-Id": requestId ?? randomUUID(),
    };
    if (cookie) headers.Cookie = cookie;
    return { path: pagePath, headers, body };
  }

  /** Send a request (recorded or fresh), optionally as someone else (another cookie). */
  async send<T>(req: ActionRequest, opts: { cookie?: string | null; timeoutMs?: number } = {}): Promise<ActionAnswer<T>> {
    const headers = { ...req.headers };
    if (opts.cookie !== undefined) {
      if (opts.cookie === null) delete headers.Cookie;
      else headers.Cookie = opts.cookie;
    }
    const t0 = performance.now();
    const res = await fetch(`${this.baseUrl}${req.path}`, {
      method: "POST",
      headers,
      body: req.body,
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    let value: T | undefined;
    if (res.status === 200 && (res.headers.get("content-type") ?? "").includes("text/x-component")) value = await decodeActionResult<T>(text);
    return { status: res.status, value, text, ms, headers: res.headers };
  }

  async call<T>(
    file: string,
    exportName: string,
    args: unknown[],
    cookie: string | null,
    opts: { timeoutMs?: number; requestId?: string } = {},
  ): Promise<ActionAnswer<T>> {
    return this.send<T>(await this.request(file, exportName, args, cookie, opts.requestId), { timeoutMs: opts.timeoutMs });
  }
}

/** The value a server action returned, from its Flight response (`{ a: <result>, ... }` at the root). */
export async function decodeActionResult<T>(text: string): Promise<T> {
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
  const root = await flight.createFromReadableStream<{ a: T | Promise<T> }>(stream, {
    serverConsumerManifest: { moduleMap: {}, serverModuleMap: null, moduleLoading: null },
  });
  return await root.a;
}

/** The recovery actions' exports (app/actions/recovery.ts). */
export const RECOVERY = "app/actions/recovery.ts";

/** What a recovery action answers (lib/actions/result.ts, lib/actions/recovery.ts), as read back here. */
export type RunState = {
  outcome?: string;
  perTarget?: { target: string; outcome: string; detail?: string }[];
  intentSeq?: number;
  outcomeSeq?: number | null;
  durationMs?: number;
  message?: string;
};
export type ActionState = {
  ok: boolean;
  code?: string;
  message?: string;
  fieldErrors?: Record<string, string[]>;
  result?: {
    /** A preview's token and count. */
    token?: string;
    count?: number;
    /** A confirm's status and run. */
    status?: string;
    approvalId?: string;
    run?: RunState;
  };
};

/** Preview an action as `cookie`; throws unless the preview is ok. */
export async function preview(
  client: ActionClient,
  name: "ResetCircuit" | "CancelStaleDirectives" | "KillIdleTransactions",
  cookie: string,
  params: unknown = {},
) {
  const answer = await client.call<ActionState>(RECOVERY, `preview${name}Action`, [params], cookie);
  if (!answer.value?.ok || !answer.value.result?.token)
    throw new Error(`preview ${name} failed (${answer.status}): ${answer.value?.message ?? answer.text.slice(0, 300)}`);
  return { token: answer.value.result.token, count: answer.value.result.count ?? 0, ms: answer.ms };
}

/** The confirm request an on-call's browser sends after that preview (not sent). */
export function confirmRequest(
  client: ActionClient,
  name: "ResetCircuit" | "CancelStaleDirectives" | "KillIdleTransactions",
  p: { token: string; count: number },
  cookie: string,
  extra: Record<string, unknown> = {},
): Promise<ActionRequest> {
  const exportName =
    name === "ResetCircuit" ? "resetCircuitAction" : name === "CancelStaleDirectives" ? "cancelStaleDirectivesAction" : "killIdleTransactionsAction";
  return client.request(
    RECOVERY,
    exportName,
    [
      {
        previewToken: p.token,
        reason: "Game day: runbook step exercised by the bench/drills",
        confirmation: String(p.count),
        idempotencyKey: randomUUID(),
        ...extra,
      },
    ],
    cookie,
  );
}
