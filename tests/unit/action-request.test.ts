/**
 * The proxy's check of server-action requests (lib/http/action-request.ts): what React's own
 * encoder sends passes untouched; what Next 16 would answer with a 500 (vercel/next.js#86945) gets
 * a 4xx with a JSON error. The drill hostile-input (drills/hostile-input.ts) sends the like over HTTP
 * to the production build.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ACTION_BODY_LIMIT_BYTES, checkActionRequest, checkPath } from "@/lib/http/action-request";

// React's own encoder of server-action arguments, from Next's copy of React (as the browser uses).
const flight = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-turbopack/client.node") as {
  encodeReply(v: unknown): Promise<string | FormData>;
};

const ID = "40".padEnd(42, "a");

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://localhost/incidents", { method: "POST", body, headers: { "next-action": ID, ...headers } });
}

async function refused(req: Request): Promise<{ status: number; code: string } | null> {
  const res = await checkActionRequest(req);
  if (!res) return null;
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return { status: res.status, code: body.error.code };
}

describe("well-formed calls pass untouched", () => {
  it.each([
    ["an object", [{ incidentId: 1, item: "adr", done: true }]],
    ["useActionState's (null, object)", [null, { a: "x" }]],
    ["strings with $, undefined, dates, big numbers", [{ a: "$5 fee", b: undefined, c: new Date(0), d: 10n, e: Number.NaN }]],
    [
      "a FormData argument",
      [
        null,
        (() => {
          const fd = new FormData();
          fd.append("text", "a note");
          fd.append("public", "on");
          return fd;
        })(),
      ],
    ],
    ["no arguments", []],
  ])("%s", async (_label, args) => {
    const body = await flight.encodeReply(args);
    const headers: Record<string, string> = typeof body === "string" ? { "content-type": "text/plain;charset=UTF-8" } : {};
    expect(await refused(post(body, headers))).toBeNull();
  });

  it("a browser's form, as Chromium sends it (a mixed-case boundary, Next's $ACTION_ fields)", async () => {
    const boundary = "----WebKitFormBoundaryHanrJHfILR2gIzHR";
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body =
      part("_1_$ACTION_REF_2", "") +
      part("_1_$ACTION_2:0", '{"id":"7f2b68b715d1f506d0f8d22165fd15bb860bb6be7c","bound":"$@1"}') +
      part("_1_$ACTION_2:1", "[null]") +
      part("_1_email", "viewer@demo.local") +
      part("_1_password", "a password") +
      part("0", '[null,"$K1"]') +
      `--${boundary}--\r\n`;
    expect(await refused(post(body, { "content-type": `multipart/form-data; boundary=${boundary}` }))).toBeNull();
  });

  it("leaves other requests alone", async () => {
    expect(await checkActionRequest(new Request("http://localhost/", { method: "POST", body: "[" }))).toBeNull();
    expect(await checkActionRequest(new Request("http://localhost/", { method: "GET", headers: { "next-action": "x" } }))).toBeNull();
  });
});

describe("malformed calls get a 4xx", () => {
  const text = { "content-type": "text/plain;charset=UTF-8" };
  it.each([
    ["not JSON", "[zxc]", 400],
    ["truncated JSON", "[", 400],
    ["JSON that is not a list", '{"a":1}', 400],
    ["null", "null", 400],
    ["a reference to a part a text body cannot have", '["$@1"]', 400],
    ["a server reference as an argument", '["$F1"]', 400],
    ["an unknown reference", '["$Z"]', 400],
    ["deep nesting", `${"[".repeat(100)}${"]".repeat(100)}`, 400],
  ])("%s", async (_label, body, status) => {
    expect(await refused(post(body, text))).toMatchObject({ status, code: "input.malformed" });
  });

  it("a body that is not UTF-8", async () => {
    expect(await refused(post(new Uint8Array([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), text))).toMatchObject({ status: 400 });
  });

  it("a body above the limit: 413, by its declared length or by what arrives", async () => {
    const big = "x".repeat(ACTION_BODY_LIMIT_BYTES + 1);
    expect(await refused(post(`["${big}"]`, text))).toMatchObject({ status: 413, code: "input.too_large" });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(10_000).fill(0x20));
        c.close();
      },
    });
    expect(
      await refused(new Request("http://localhost/", { method: "POST", body: stream, headers: { "next-action": ID, ...text }, duplex: "half" } as RequestInit)),
    ).toMatchObject({ status: 413 });
  });

  it("a body type no action takes: 415", async () => {
    expect(await refused(post("<x/>", { "content-type": "application/xml" }))).toMatchObject({ status: 415 });
  });

  it("an action id of the wrong shape: 404", async () => {
    expect(await refused(new Request("http://localhost/", { method: "POST", body: "[]", headers: { "next-action": "../../x" } }))).toMatchObject({
      status: 404,
    });
  });

  it("multipart: missing arguments part, junk JSON in a part, a reference to a missing part", async () => {
    const fd = (fields: Record<string, string>) => {
      const f = new FormData();
      for (const [k, v] of Object.entries(fields)) f.append(k, v);
      return f;
    };
    expect(await refused(post(fd({ email: "a" })))).toMatchObject({ status: 400 });
    expect(await refused(post(fd({ "0": "[zxc]" })))).toMatchObject({ status: 400 });
    expect(await refused(post(fd({ "0": '["$@5"]' })))).toMatchObject({ status: 400 });
    expect(await refused(post(fd({ "0": '"$K1"' })))).toMatchObject({ status: 400 });
    expect(await refused(post("--x\r\nbroken", { "content-type": "multipart/form-data; boundary=x" }))).toMatchObject({ status: 400 });
  });
});

describe("paths", () => {
  it("a path whose percent-encoding does not decode is 400; others pass", async () => {
    expect(checkPath("/api/incidents/12/report")).toBeNull();
    expect(checkPath("/api/incidents/%E2%82%AC/report")).toBeNull();
    for (const bad of ["/api/incidents/%ED%A0%80/report", "/x/%E0%A4%A", "/%"]) {
      const res = checkPath(bad);
      expect(res?.status, bad).toBe(400);
    }
  });
});
