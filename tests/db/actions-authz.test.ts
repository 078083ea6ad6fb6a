/**
 * The server actions' own authorization, without the proxy in front: what a request that
 * bypassed the proxy (CVE-2025-29927) would meet. Every action in lib/recovery/access/endpoints.ts is
 * called as a function, as anonymous and as each role (sessions mocked, users real), with its
 * safe example; a refused call must say so in its result, leave the store unchanged, and be
 * audited as denied for a signed-in role. e2e/matrix.spec.ts does the same over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// First: its mocks apply to the imports below.
import { request, session } from "../support/next-request";
import { closeStores } from "@/lib/db/client";
import { clearSessionCache } from "@/lib/recovery/access/authz";
import { flushRefusals } from "@/lib/recovery/audit/fold";
import { endpoints, type ActionEndpoint, type FormArg } from "@/lib/recovery/access/endpoints";
import { can, roles, type Role } from "@/lib/recovery/access/permissions";
import { addUser } from "@/lib/recovery/access/users";
import { connect, type Sql } from "../support/db";

request.headers = new Headers({ "x-request-id": "actions-authz" });

let sql: Sql;
const ids = {} as Record<Role, string>;
const actions = endpoints.filter((e): e is ActionEndpoint => e.kind === "action");

const isForm = (v: unknown): v is FormArg => typeof v === "object" && v !== null && "$form" in v;
function args(e: ActionEndpoint): unknown[] {
  return e.example.args.map((a) => {
    if (!isForm(a)) return a;
    const fd = new FormData();
    for (const [k, v] of Object.entries(a.$form)) fd.append(k, v);
    return fd;
  });
}

async function digest(): Promise<string> {
  const [u] = await sql<
    { d: string }[]
  >`select md5(string_agg(concat_ws('|', id, role, session_version, password_hash, disabled_at), ',' order by id)) as d from console.users`;
  const tables = await sql<
    { t: string }[]
  >`select table_name as t from information_schema.tables where table_schema = 'console' and table_name like 'action_%' order by 1`;
  const counts = [];
  for (const { t } of tables) counts.push(`${t}=${(await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from console.${t}`))[0]!.n}`);
  return `${u!.d}|${counts.join(",")}`;
}

async function invoke(e: ActionEndpoint): Promise<unknown> {
  const mod = (await import(/* @vite-ignore */ `@/${e.file.replace(/\.tsx?$/, "")}`)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return mod[e.exportName]!(...args(e));
}

beforeAll(async () => {
  sql = connect("console");
  for (const role of roles) {
    const { id } = await addUser({ email: `actions.${role}@example.com`, role, password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
    ids[role] = id;
  }
});
afterAll(async () => {
  await sql.end();
  await closeStores();
});

describe.each(actions.filter((e) => e.access.kind === "permission" || e.access.kind === "session").map((e) => [e.id, e] as const))("%s", (_id, e) => {
  it("refuses the anonymous in its own code, changing nothing", async () => {
    session.current = null;
    clearSessionCache();
    const before = await digest();
    const { signIn } = await import("@/auth");
    vi.mocked(signIn).mockClear();
    const result = (await invoke(e)) as { ok?: boolean; code?: string; message?: string } | undefined;
    if (result !== undefined) {
      // Refused for want of a session, not merely for the example's bad input.
      expect(result.ok).toBe(false);
      expect(`${result.code ?? ""} ${result.message ?? ""}`).toMatch(/auth\.required|Sign in/);
    } else {
      // The void ones (sign-out, SSO re-authentication) must not start a sign-in for nobody.
      expect(signIn).not.toHaveBeenCalled();
    }
    expect(await digest()).toBe(before);
  });

  if (e.access.kind !== "permission") return;
  const permission = e.access.permission;
  it.each(roles.filter((r) => !can(r, permission)))("refuses %s with a typed error and an audit entry saying denied", async (role) => {
    const [row] = await sql<{ version: number }[]>`select session_version as version from console.users where id = ${ids[role]}`;
    const version = row!.version;
    session.current = { user: { id: ids[role], email: `actions.${role}@example.com`, role }, sv: version, authTime: Math.floor(Date.now() / 1000) };
    clearSessionCache();
    // A fresh window: a repeated denial (same actor and action) would be folded (audit-fold.ts).
    await flushRefusals();
    const [h] = await sql<{ head: number }[]>`select coalesce(max(seq), 0)::int as head from console.audit_log`;
    const head = h!.head;
    const before = await digest();
    const result = (await invoke(e)) as { ok: boolean; message?: string };
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/may not do this/);
    expect(await digest()).toBe(before);
    const audit = await sql<{ outcome: string; actor_email: string }[]>`select outcome, actor_email from console.audit_log where seq > ${head} order by seq`;
    expect(audit.map((a) => a.outcome)).toContain("denied");
    expect(audit.filter((a) => ["succeeded", "pending", "partial"].includes(a.outcome))).toEqual([]);
  });
});

/** What a hostile caller sends instead of the arguments (issue 12, point 8). */
const junkForm = () => {
  const fd = new FormData();
  fd.append("email", "\u0000\uD800@example.com");
  fd.append("password", "x".repeat(5000));
  fd.append("incidentId", "1 or 1=1");
  fd.append("previewToken", "forged");
  fd.append("$ACTION_ID_0000", "");
  return fd;
};
const MALFORMED: Array<[string, () => unknown[]]> = [
  ["no arguments", () => []],
  ["null", () => [null]],
  ["a number", () => [42]],
  ["a huge string", () => ["x".repeat(300_000)]],
  ["an array", () => [[1, "two", { three: 3 }]]],
  ["nested junk", () => [{ previewToken: { $ne: null }, reason: ["a"], incidentId: { toString: "x" }, approvalId: 1e308, password: null }]],
  ["state and a number", () => [{ ok: false }, 7]],
  ["state and nested junk", () => [null, { email: ["a"], role: { admin: true }, text: 1 }]],
  ["a junk form", () => [junkForm()]],
  ["state and a junk form", () => [{ ok: false }, junkForm()]],
  ["too many arguments", () => [{}, {}, {}, {}]],
];

const CODES = new Set(Object.keys((await import("@/lib/actions/result")).ERROR_CODES));

/** No throw (a redirect aside), and a refusal in the one shape; true when something was answered. */
async function callMalformed(e: ActionEndpoint, args: unknown[]): Promise<void> {
  const mod = (await import(/* @vite-ignore */ `@/${e.file.replace(/\.tsx?$/, "")}`)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const result = (await mod[e.exportName]!(...args)) as { ok?: boolean; code?: string; message?: string } | undefined;
  if (result === undefined) return; // the form actions (sign-out, single sign-on) answer with a navigation
  expect(result.ok, `${e.id}: refused`).toBe(false);
  expect(CODES.has(result.code ?? ""), `${e.id}: code ${result.code} is in the vocabulary`).toBe(true);
  expect(typeof result.message).toBe("string");
}

describe("malformed arguments: every action, every caller, a typed refusal and no effect", () => {
  const callers = ["anonymous", ...roles] as const;
  it.each(callers)("as %s", async (who) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { signIn } = await import("@/auth");
    for (const e of actions) {
      if (who !== "anonymous" && e.endsSession) continue; // signing out with any arguments is signing out
      for (const [label, make] of MALFORMED) {
        // A preview without arguments is a well-formed call: it previews with the default parameters.
        if (label === "no arguments" && e.exportName.startsWith("preview")) continue;
        if (who === "anonymous") session.current = null;
        else {
          const [row] = await sql<{ version: number }[]>`select session_version as version from console.users where id = ${ids[who]}`;
          // A fresh sign-in, so sudo mode lets the call reach its input.
          session.current = {
            user: { id: ids[who], email: `actions.${who}@example.com`, role: who },
            sv: row!.version,
            authTime: Math.floor(Date.now() / 1000),
          };
        }
        clearSessionCache();
        vi.mocked(signIn).mockClear();
        const [h] = await sql<{ head: number }[]>`select coalesce(max(seq), 0)::int as head from console.audit_log`;
        const before = await digest();
        await expect(callMalformed(e, make()), `${e.id} as ${who} with ${label}`).resolves.toBeUndefined();
        expect(await digest(), `${e.id} as ${who} with ${label}: nothing changed`).toBe(before);
        expect(signIn, `${e.id} as ${who} with ${label}: no sign-in attempted`).not.toHaveBeenCalled();
        const audit = await sql<{ outcome: string }[]>`select outcome from console.audit_log where seq > ${h!.head}`;
        expect(
          audit.filter((a) => ["succeeded", "pending", "partial", "timeout_unknown"].includes(a.outcome)),
          `${e.id} as ${who} with ${label}: no effect audited`,
        ).toEqual([]);
        expect(audit.length, `${e.id} as ${who} with ${label}: at most one entry`).toBeLessThanOrEqual(1);
      }
    }
  });
});
