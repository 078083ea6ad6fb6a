/**
 * The one server-action wrapper (lib/actions/mutation.ts): every refusal path, in order, and one
 * result shape with one vocabulary of codes, whatever the arguments. The session, the permission
 * table and the audit are stand-ins here; tests/db/actions-authz.test.ts runs the real ones.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

const h = vi.hoisted(() => {
  class AuthzError extends Error {
    constructor(
      public readonly status: 401 | 403,
      public readonly code: "auth.required" | "auth.forbidden" | "auth.revoked",
      message: string,
    ) {
      super(message);
    }
  }
  class ReauthRequiredError extends Error {
    readonly code = "auth.reauth_required";
    constructor(public readonly method: "password" | "sso") {
      super("Confirm it's you.");
    }
  }
  const oncall = { id: "u1", email: "oncall@example.com", role: "oncall", authTime: 0, via: "session" as const, authMethod: "sso" as const };
  return {
    AuthzError,
    ReauthRequiredError,
    oncall,
    who: { current: oncall as typeof oncall | null, allowed: true, recent: true },
    audit: [] as Array<{ action: string; outcome: string; detail?: unknown }>,
  };
});

vi.mock("next/headers", () => ({ headers: async () => new Headers({ "x-request-id": "mutation-test" }) }));
vi.mock("next/navigation", () => ({
  unstable_rethrow: (err: unknown) => {
    if (err instanceof Error && err.message === "NEXT_REDIRECT") throw err;
  },
}));
vi.mock("@/lib/recovery/audit/writer", () => ({
  appendAudit: async (e: { action: string; outcome: string; detail?: unknown }) => {
    h.audit.push({ action: e.action, outcome: e.outcome, detail: e.detail });
    return {};
  },
}));
vi.mock("@/lib/recovery/access/authz", () => ({
  AuthzError: h.AuthzError,
  ReauthRequiredError: h.ReauthRequiredError,
  currentActor: async () => h.who.current,
  requirePermission: async (permission: string, opts: { action?: string }) => {
    if (!h.who.current) throw new h.AuthzError(401, "auth.required", "Sign in to continue.");
    if (!h.who.allowed) {
      h.audit.push({ action: opts.action ?? permission, outcome: "denied" });
      throw new h.AuthzError(403, "auth.forbidden", "Your role may not do this.");
    }
    return h.who.current;
  },
  requireRecentAuth: () => {
    if (!h.who.recent) throw new h.ReauthRequiredError("sso");
    return { authTime: 0 };
  },
}));

import { defineMutation, fail, formToObject, pickInput, WRONG_ARITY } from "@/lib/actions/mutation";
import { ERROR_CODES, toErrorCode, type ActionResult } from "@/lib/actions/result";
import { DbError } from "@/lib/db/errors";

const schema = z.object({ id: z.coerce.number().int().positive(), text: z.string().min(1).max(100) });
const effects: unknown[] = [];

function mutation(
  extra: Partial<Parameters<typeof defineMutation>[0]> = {},
  handler?: (i: z.infer<typeof schema>) => Promise<ActionResult<{ saved: number }>>,
) {
  return defineMutation(
    { name: "thing.save", access: "incidents.manage", input: schema, path: "/things", ...extra } as Parameters<typeof defineMutation>[0],
    async (input) => {
      if (handler) return handler(input as z.infer<typeof schema>);
      effects.push(input);
      return { ok: true as const, result: { saved: (input as { id: number }).id } };
    },
  );
}

/** The one shape: ok with a result, or a code of the vocabulary with a message. */
function expectOneShape(r: ActionResult<unknown>) {
  if (r.ok) {
    expect(Object.keys(r).every((k) => ["ok", "result", "message"].includes(k))).toBe(true);
  } else {
    expect(Object.keys(ERROR_CODES)).toContain(r.code);
    expect(typeof r.message).toBe("string");
    expect(r.message.length).toBeGreaterThan(0);
    expect(Object.keys(r).every((k) => ["ok", "code", "message", "fieldErrors", "reauth", "retryAfterSeconds", "result"].includes(k))).toBe(true);
  }
}

const form = (fields: Record<string, string>) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return fd;
};

/** What a hostile caller sends instead of the input. */
const MALFORMED: Array<[string, unknown[]]> = [
  ["no arguments", []],
  ["null", [null]],
  ["undefined", [undefined]],
  ["a number", [42]],
  ["a string", ["x"]],
  ["a huge string", ["x".repeat(1_000_000)]],
  ["an array", [[1, 2, 3]]],
  ["nested junk", [{ id: { $gt: 0 }, text: ["a", { b: null }] }]],
  ["wrong types", [{ id: "abc", text: 12 }]],
  ["an empty form", [form({})]],
  ["a form with the wrong fields", [form({ nope: "1" })]],
  [
    "a file for a text field",
    [
      (() => {
        const fd = form({ id: "1" });
        fd.append("text", new Blob(["x"]), "x.txt");
        return fd;
      })(),
    ],
  ],
  ["too many arguments", [{ id: 1, text: "ok" }, { id: 2, text: "ok" }, 3]],
  ["two arguments where one is taken", [{ ok: false }, { id: 1, text: "ok" }]],
  ["a prototype-pollution attempt", [JSON.parse('{"__proto__":{"polluted":true},"id":"1"}')]],
];

beforeEach(() => {
  h.who.current = h.oncall;
  h.who.allowed = true;
  h.who.recent = true;
  h.audit.length = 0;
  effects.length = 0;
});

describe("defineMutation", () => {
  it("runs the handler with the parsed input, from an object or a form", async () => {
    const save = mutation();
    expect(await save({ id: "7", text: "hello" })).toEqual({ ok: true, result: { saved: 7 } });
    expect(await save(form({ id: "8", text: "hi", $ACTION_ID_abc: "" }))).toEqual({ ok: true, result: { saved: 8 } });
    const withState = mutation({ args: "form-state" });
    expect(await withState(null, form({ id: "9", text: "hey" }))).toEqual({ ok: true, result: { saved: 9 } });
    expect(effects).toEqual([
      { id: 7, text: "hello" },
      { id: 8, text: "hi" },
      { id: 9, text: "hey" },
    ]);
    expect(h.audit).toEqual([]);
  });

  it("refuses the anonymous before anything else, audited only where asked", async () => {
    h.who.current = null;
    const r = await mutation()({ id: 1, text: "x" });
    expect(r).toMatchObject({ ok: false, code: "auth.required" });
    expect(h.audit).toEqual([]);
    expect(await mutation({ auditAnonymous: true })(null)).toMatchObject({ ok: false, code: "auth.required" });
    expect(h.audit).toEqual([{ action: "thing.save", outcome: "denied", detail: { permission: "incidents.manage", reason: "no session" } }]);
    expect(effects).toEqual([]);
  });

  it("refuses a role without the permission (audited as denied by requirePermission), before reading the input", async () => {
    h.who.allowed = false;
    const r = await mutation()("junk");
    expect(r).toMatchObject({ ok: false, code: "auth.forbidden" });
    expect(h.audit).toEqual([{ action: "thing.save", outcome: "denied" }]);
    expect(effects).toEqual([]);
  });

  it("sudo mode: an old sign-in is auth.reauth_required with the method, audited as refused", async () => {
    h.who.recent = false;
    const r = await mutation({ sudo: true })({ id: 1, text: "x" });
    expect(r).toEqual({ ok: false, code: "auth.reauth_required", message: "Confirm it's you.", reauth: { method: "sso" } });
    expect(h.audit).toEqual([{ action: "thing.save", outcome: "refused", detail: { guard: "auth.reauth_required", message: "Confirm it's you." } }]);
    expect(effects).toEqual([]);
    // Without sudo, the same old sign-in may act.
    expect(await mutation()({ id: 1, text: "x" })).toMatchObject({ ok: true });
  });

  it.each(MALFORMED)("%s: input.invalid with field errors, one refused entry, no effect", async (_label, args) => {
    const r = await mutation()(...args);
    expectOneShape(r);
    expect(r).toMatchObject({ ok: false, code: "input.invalid" });
    expect(r.ok === false && r.fieldErrors && Object.keys(r.fieldErrors).length > 0).toBe(true);
    expect(h.audit).toEqual([{ action: "thing.save", outcome: "refused", detail: expect.objectContaining({ guard: "input.invalid" }) }]);
    expect(effects).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("an anonymous caller's malformed input is refused without an audit entry (sign-in form)", async () => {
    h.who.current = null;
    const signIn = mutation({ access: "anonymous" });
    for (const [, args] of MALFORMED) {
      const r = await signIn(...args);
      expectOneShape(r);
      expect(r).toMatchObject({ ok: false, code: "input.invalid" });
    }
    expect(h.audit).toEqual([]);
    expect(await signIn({ id: 1, text: "x" })).toMatchObject({ ok: true });
  });

  it("catches what the handler throws: store errors, the action's own errors, anything else", async () => {
    const store = mutation({}, async () => {
      throw new DbError("db.unavailable", "console", "connect ECONNREFUSED");
    });
    const r1 = await store({ id: 1, text: "x" });
    expect(r1).toMatchObject({ ok: false, code: "store.unavailable" });
    expectOneShape(r1);

    class Gone extends Error {}
    const own = mutation({ errors: (err) => (err instanceof Gone ? fail("incident.not_found", "No such thing.") : undefined) }, async () => {
      throw new Gone();
    });
    expect(await own({ id: 1, text: "x" })).toEqual({ ok: false, code: "incident.not_found", message: "No such thing." });

    vi.spyOn(console, "error").mockImplementation(() => {});
    const bug = mutation({}, async () => {
      throw new TypeError("form.get is not a function");
    });
    const r3 = await bug({ id: 1, text: "x" });
    expect(r3).toMatchObject({ ok: false, code: "internal" });
    expect(r3.ok === false && r3.message).toMatch(/mutation-test/);
    expect(r3.ok === false && r3.message).not.toMatch(/form\.get/);
  });

  it("lets Next's redirect through (a sign-in's success)", async () => {
    const redirecting = mutation({}, async () => {
      throw new Error("NEXT_REDIRECT");
    });
    await expect(redirecting({ id: 1, text: "x" })).rejects.toThrow("NEXT_REDIRECT");
  });
});

describe("the input's argument and FormData", () => {
  it("takes the argument by the calling convention", () => {
    const fd = form({ a: "1" });
    expect(pickInput([{ a: 1 }], "input")).toEqual({ a: 1 });
    expect(pickInput([], "input")).toBeUndefined();
    expect(pickInput([{ a: 1 }, { b: 2 }], "input")).toBe(WRONG_ARITY);
    expect(pickInput([null, fd], "form-state")).toBe(fd);
    expect(pickInput([fd], "form-state")).toBe(fd);
    expect(pickInput([{ a: 1 }], "form-state")).toBe(WRONG_ARITY);
    expect(pickInput([null, fd, 3], "form-state")).toBe(WRONG_ARITY);
    // Not even an optional input takes it.
    expect(z.object({}).optional().safeParse(WRONG_ARITY).success).toBe(false);
  });

  it("turns a form into text fields, dropping Next's own", () => {
    const fd = form({ a: "1", $ACTION_REF_1: "", b: "x" });
    fd.append("a", "2");
    expect(formToObject(fd)).toEqual({ a: "2", b: "x" });
    const many = new FormData();
    for (let i = 0; i < 100; i++) many.append(`f${i}`, "x");
    expect(formToObject(many)).toEqual({ $tooManyFields: true });
  });
});

describe("one vocabulary", () => {
  it("maps the older spellings of the same meaning to one code, and unknown codes to internal", () => {
    expect(["guard.input", "input", "user.invalid"].map(toErrorCode)).toEqual(["input.invalid", "input.invalid", "input.invalid"]);
    expect(["audit.unavailable", "incident.unavailable", "unavailable", "auth.unavailable"].map(toErrorCode)).toEqual(Array(4).fill("store.unavailable"));
    expect(["guard.rate_limit", "auth.throttled"].map(toErrorCode)).toEqual(["rate.limited", "rate.limited"]);
    expect(toErrorCode("guard.busy")).toBe("guard.busy");
    expect(toErrorCode("something.new")).toBe("internal");
    expect(toErrorCode(undefined)).toBe("internal");
    expect(fail("guard.input", "m")).toEqual({ ok: false, code: "input.invalid", message: "m" });
  });
});
