/**
 * The server actions' own authorization, without the proxy in front: what a request that
 * bypassed the proxy (CVE-2025-29927) would meet. Every action in lib/recovery/endpoints.ts is
 * called as a function, as anonymous and as each role (sessions mocked, users real), with its
 * safe example; a refused call must say so in its result, leave the store unchanged, and be
 * audited as denied for a signed-in role. e2e/matrix.spec.ts does the same over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const session = vi.hoisted(() => ({ current: null as null | Record<string, unknown> }));
vi.mock("@/auth", () => ({
  auth: async () => session.current,
  oidc: null,
  SSO_PROVIDER_ID: "oidc",
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  unstable_update: vi.fn(async () => null),
}));
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "x-request-id": "actions-authz" }) }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

import { closeStores } from "@/lib/db/client";
import { clearSessionCache } from "@/lib/recovery/authz";
import { flushRefusals } from "@/lib/recovery/audit-fold";
import { endpoints, type ActionEndpoint, type FormArg } from "@/lib/recovery/endpoints";
import { can, roles, type Role } from "@/lib/recovery/permissions";
import { addUser } from "@/lib/recovery/users";
import { connect, type Sql } from "../support/db";

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
  const [u] = await sql<{ d: string }[]>`select md5(string_agg(concat_ws('|', id, role, session_version, password_hash, disabled_at), ',' order by id)) as d from console.users`;
  const tables = await sql<{ t: string }[]>`select table_name as t from information_schema.tables where table_schema = 'console' and table_name like 'action_%' order by 1`;
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
