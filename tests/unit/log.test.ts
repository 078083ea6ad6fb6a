/**
 * The server's logger (lib/log.ts): JSON lines with level as a word and an ISO time, and the second
 * net: a field named like a secret is censored wherever a log call puts it.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "@/lib/log";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

describe("the server's logger", () => {
  it("writes one JSON object per line with level and time", () => {
    const { lines, destination } = capture();
    createLogger({ destination }).info({ requestId: "r1", route: "/", status: 200 }, "request");
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "info", requestId: "r1", route: "/", status: 200, msg: "request" });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it("censors passwords, tokens, cookies, authorization and whole header sets", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info(
      {
        password: "hunter2-pw",
        token: "tok-123",
        cookie: "authjs.session-token=abc",
        headers: { cookie: "sid=xyz" },
        req: { authorization: "Bearer zzz", password: "pw-2" },
      },
      "oops",
    );
    const text = lines.join("\n");
    for (const secret of ["hunter2-pw", "tok-123", "authjs.session-token=abc", "sid=xyz", "Bearer zzz", "pw-2"]) expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
  });

  it("writes a human layout with LOG_FORMAT=pretty", () => {
    const { lines, destination } = capture();
    createLogger({ format: "pretty", destination }).info({ route: "/healthz" }, "request");
    expect(lines.join("\n")).toMatch(/INFO.*request/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});
