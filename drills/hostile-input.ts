/**
 * Drill `hostile-input` (issue 11): 1,000 randomized hostile requests against the production
 * build — sign-ins, server-action calls and API requests carrying invalid Unicode (lone
 * surrogates, invalid UTF-8 bytes), NUL, 1 MB bodies and wrong types — as anonymous, a viewer and
 * an on-call. Expects 0 HTTP 500s, an audit chain that verifies afterwards, and an audit table
 * that grew by no more than HOSTILE_AUDIT_BOUND.
 *
 * Seeded (HOSTILE_SEED, printed) so that a failure can be replayed request for request.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { DrillWorld } from "./world.ts";

/** How many hostile requests one run sends. */
export const HOSTILE_REQUESTS = 1000;

/**
 * The most audit entries the whole run may add. Align with docs/audit-trail.md's stated flood bound
 * ("Audit log" section): a refused or denied call writes at most one entry, and repeated refusals
 * from one source are collapsed there. Until that bound is documented, one entry per request is
 * the ceiling: a request never writes two.
 */
export const HOSTILE_AUDIT_BOUND = HOSTILE_REQUESTS;

const MB = 1024 * 1024;

// React's own argument encoder, from Next's copy of React (as tests/support/harness/console.ts uses it).
const flight = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-turbopack/client.node") as {
  encodeReply(v: unknown): Promise<string | FormData>;
};

/** A small deterministic PRNG (mulberry32): the same seed sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

/** Strings a hostile client sends: lone surrogates, NUL, control and bidi characters, huge ones. */
function hostileString(r: Rng): string {
  const parts = [
    "\uD800",
    "\uDFFF",
    "a\uD83Db",
    "\u0000",
    "x\u0000y",
    "\u202E\u2066",
    "\uFFFE\uFFFF",
    "'; drop table console.audit_log; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00%ff",
    "oncall@drills.example",
    "A".repeat(10_000),
    "😀".repeat(50),
  ];
  let s = "";
  for (let i = 1 + r.int(4); i > 0; i--) s += r.pick(parts);
  return s;
}

/** A value of the wrong type, or the right type with hostile content. */
function hostileValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.int(2) ? -1 : 1e308;
    case 2:
      return r.int(2) === 1;
    case 3:
      return hostileString(r);
    case 4:
      return "";
    case 5:
      return "x".repeat(r.int(2) ? 64 * 1024 : 600 * 1024);
    case 6:
      return [hostileValue(r, depth + 1), hostileValue(r, depth + 1)];
    case 7:
      // An own "__proto__" key, as JSON.parse makes it (a prototype pollution attempt).
      return Object.assign(JSON.parse('{"__proto__":{"polluted":true}}') as object, {
        previewToken: hostileValue(r, depth + 1),
        reason: hostileValue(r, depth + 1),
        email: hostileValue(r, depth + 1),
        incidentId: hostileValue(r, depth + 1),
      });
    default:
      return { [hostileString(r)]: hostileValue(r, depth + 1), constructor: { prototype: { polluted: true } } };
  }
}

/** Bytes that are not UTF-8 at all. */
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x7d]);

type Sent = { what: string; status: number };

/** Sends the hostile requests; returns each request's label and status. */
export async function runHostile(world: DrillWorld, o: { seed: number; count: number; log: (line: string) => void }): Promise<Sent[]> {
  const r = prng(o.seed);
  const base = world.app.url;
  const actions = world.client.actions();
  const cookies = [null, await world.cookie(world.viewer), await world.cookie(world.oncall)] as const;
  const sent: Sent[] = [];
  const login = world.client.locate("app/login/actions.ts", "loginAction");
  // next-auth's CSRF token and its cookie, as the sign-in page would hold them.
  const csrfRes = await fetch(`${base}/api/auth/csrf`, { signal: AbortSignal.timeout(10_000) });
  const csrf = {
    token: ((await csrfRes.json()) as { csrfToken: string }).csrfToken,
    cookie: (csrfRes.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; "),
  };

  const send = async (what: string, path: string, init: RequestInit & { headers?: Record<string, string> }) => {
    let status: number;
    try {
      const res = await fetch(`${base}${path}`, { redirect: "manual", signal: AbortSignal.timeout(30_000), ...init });
      await res.arrayBuffer().catch(() => undefined);
      status = res.status;
    } catch (err) {
      // The server closing the connection on an oversized body is a refusal, not an error; a
      // timeout is a failure (status 0 is reported).
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      status = cause === "UND_ERR_SOCKET" || cause === "ECONNRESET" || cause === "EPIPE" ? 413 : 0;
    }
    sent.push({ what, status });
  };

  const actionBody = async (): Promise<{ body: BodyInit; type?: string; kind: string }> => {
    switch (r.int(6)) {
      case 0: {
        // What React's encodeReply makes of hostile arguments (a JSON string, or FormData when large).
        const args = Array.from({ length: r.int(4) }, () => hostileValue(r));
        const body = await flight.encodeReply(args).catch(() => JSON.stringify(args));
        return typeof body === "string" ? { body, type: "text/plain;charset=UTF-8", kind: "encoded args" } : { body, kind: "encoded args (multipart)" };
      }
      case 1:
        return { body: hostileString(r), type: "text/plain;charset=UTF-8", kind: "junk text" };
      case 2:
        return { body: INVALID_UTF8, type: "text/plain;charset=UTF-8", kind: "invalid UTF-8" };
      case 3:
        return { body: Buffer.alloc(MB, 0x61), type: "text/plain;charset=UTF-8", kind: "1 MB body" };
      case 4: {
        const form = new FormData();
        for (let i = r.int(4); i >= 0; i--)
          form.append(
            r.pick(["1_email", "email", "password", "text", "incidentId", "0", "1_$ACTION_ID_x", "$ACTION_REF_1", hostileString(r)]),
            hostileString(r),
          );
        return { body: form, kind: "junk multipart" };
      }
      default:
        return { body: JSON.stringify(hostileValue(r)), type: "application/json", kind: "JSON body" };
    }
  };

  for (let i = 0; i < o.count; i++) {
    const cookie = r.pick(cookies);
    const who = cookie === null ? "anonymous" : cookie === cookies[1] ? "viewer" : "oncall";
    const common: Record<string, string> = { "x-request-id": `hostile-${o.seed}-${i}-${randomUUID()}`, origin: base };
    if (cookie) common.cookie = cookie;
    const kind = r.int(10);
    if (kind < 3) {
      const how = r.int(3);
      if (how === 0) {
        // The sign-in form's own action, well encoded (as the browser sends it), with hostile fields:
        // this reaches the credentials check, its throttle and its audit entry.
        const fd = new FormData();
        fd.append("email", r.int(3) ? hostileString(r) : world.oncall.email);
        fd.append("password", r.int(2) ? hostileString(r) : "\u0000");
        fd.append("callbackUrl", r.pick(["/", "//evil.example", hostileString(r)]));
        const body = await flight.encodeReply([null, fd]);
        const headers: Record<string, string> = { ...common, "Next-Action": login.id, Accept: "text/x-component" };
        if (typeof body === "string") headers["content-type"] = "text/plain;charset=UTF-8";
        await send(`sign-in action as ${who}`, login.pagePath, { method: "POST", headers, body });
      } else {
        // next-auth's credentials callback with a real CSRF token (form) or none (JSON).
        const asJson = how === 2;
        const form = new URLSearchParams({
          email: hostileString(r),
          password: r.int(2) ? hostileString(r) : "\u0000",
          csrfToken: csrf.token,
          callbackUrl: hostileString(r),
        });
        await send(`sign-in callback (${asJson ? "JSON" : "form"}) as ${who}`, "/api/auth/callback/credentials", {
          method: "POST",
          headers: {
            ...common,
            cookie: [common.cookie, csrf.cookie].filter(Boolean).join("; "),
            "content-type": asJson ? "application/json" : "application/x-www-form-urlencoded",
          },
          body: asJson ? JSON.stringify({ email: hostileValue(r), password: hostileValue(r) }) : form.toString(),
        });
      }
    } else if (kind < 7) {
      // A server action: a real id or a junk one, at a page that serves it, with a hostile body.
      const real = r.int(8) !== 0;
      const a = real ? r.pick(actions) : null;
      const id = a
        ? a.id
        : r.pick([
            "",
            "x",
            "0".repeat(42),
            hostileString(r)
              .slice(0, 200)
              .replace(/[^\x20-\x7e]/g, "?"),
            "f".repeat(42),
          ]);
      const path = a ? safeLocate(world, a.file, a.name) : r.pick(["/", "/login", "/incidents", "/admin/users"]);
      const b = await actionBody();
      const headers: Record<string, string> = { ...common, "Next-Action": id, Accept: "text/x-component" };
      if (b.type) headers["content-type"] = b.type;
      await send(`action ${a ? `${a.file}#${a.name}` : `junk id`} (${b.kind}) as ${who}`, path, { method: "POST", headers, body: b.body });
    } else {
      // The API: the EA heartbeat (with its token), and the rest with wrong methods and bodies.
      const heartbeat = r.int(2) === 0;
      if (heartbeat) {
        const body = r.pick([
          Buffer.alloc(MB, 0x20),
          INVALID_UTF8,
          JSON.stringify(hostileValue(r)),
          JSON.stringify({ instance: hostileString(r), role: hostileValue(r), version: hostileValue(r) }),
        ]);
        await send(`heartbeat (${typeof body === "string" ? `${body.length} chars` : `${body.length} bytes`})`, "/api/heartbeat", {
          method: "POST",
          headers: {
            ...common,
            authorization: `Bearer ${r.int(4) ? world.heartbeatToken : hostileString(r).replace(/[^\x20-\x7e]/g, "?")}`,
            "content-type": r.pick(["application/json", "text/plain", "multipart/form-data; boundary=x"]),
          },
          body,
        });
      } else {
        const path = r.pick([
          "/api/status",
          "/api/health",
          "/api/health/history",
          "/api/approvals",
          "/api/incidents/current",
          "/api/audit/export",
          "/api/metrics",
          "/healthz",
          "/reference/ping",
        ]);
        const q = r.int(2)
          ? `?${new URLSearchParams({ from: hostileString(r), to: hostileString(r), limit: hostileString(r), outcome: hostileString(r) })}`
          : "";
        const method = r.pick(["GET", "POST", "PUT", "DELETE"]);
        await send(`${method} ${path}${q ? " (hostile query)" : ""} as ${who}`, `${path}${q}`, {
          method,
          headers: { ...common, "content-type": "application/json" },
          body: method === "GET" ? undefined : r.int(2) ? Buffer.alloc(MB, 0x7b) : JSON.stringify(hostileValue(r)),
        });
      }
    }
    if ((i + 1) % 200 === 0) o.log(`${i + 1}/${o.count} sent; ${sent.filter((s) => s.status >= 500 || s.status === 0).length} server errors so far`);
  }
  // The report route takes an id from the path: a few hostile ones.
  for (const id of ["%00", "%ED%A0%80", "1e308", "-1", "x".repeat(2000)]) {
    await send(`report ${id.slice(0, 12)}`, `/api/incidents/${id}/report`, { method: "GET", headers: { cookie: cookies[2] } });
  }
  return sent;
}

function safeLocate(world: DrillWorld, file: string, name: string): string {
  try {
    return world.client.locate(file, name).pagePath;
  } catch {
    return "/";
  }
}
