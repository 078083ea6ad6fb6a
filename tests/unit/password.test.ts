/**
 * The password-hashing gate (lib/auth/password.ts): 2 at a time, a short queue, then refused at
 * once, so a flood of sign-ins cannot exhaust CPU or memory. And the refusal's HTTP shape.
 */
import { describe, expect, it } from "vitest";
import { createGate, dummyHash, HASH_CONCURRENCY, HASH_QUEUE, HashBusyError, hashGate, verifyPassword } from "@/lib/auth/password";
import { refusalFromCode, shapeSignInResponse } from "@/lib/auth/sign-in-response";

describe("password hashing gate", () => {
  it("runs 2 at a time, queues a few, and refuses the rest at once", async () => {
    const gate = createGate({ concurrency: 2, queue: 3 });
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      new Promise<string>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve("done");
        });
      });
    const calls = Array.from({ length: 8 }, () =>
      gate.run(task).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    expect(gate.stats()).toEqual({ running: 2, waiting: 3 });
    const settled = await Promise.race([Promise.all(calls.slice(5)), new Promise((r) => setTimeout(() => r("pending"), 1000))]);
    // The three beyond the queue were refused without waiting for anything.
    expect(settled).toEqual([expect.any(HashBusyError), expect.any(HashBusyError), expect.any(HashBusyError)]);
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(calls.slice(0, 5))).toEqual(Array(5).fill("done"));
    expect(peak).toBe(2);
    expect(gate.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it("guards the real argon2 verify: a burst beyond 2 + 8 is refused, the rest answer correctly", async () => {
    const stored = await dummyHash();
    const burst = 30;
    const results = await Promise.all(
      Array.from({ length: burst }, () =>
        verifyPassword(stored, "wrong").then(
          (ok) => ok,
          (e: unknown) => e,
        ),
      ),
    );
    expect(results.filter((r) => r instanceof HashBusyError)).toHaveLength(burst - HASH_CONCURRENCY - HASH_QUEUE);
    expect(results.filter((r) => r === false)).toHaveLength(HASH_CONCURRENCY + HASH_QUEUE);
    expect(hashGate.stats()).toEqual({ running: 0, waiting: 0 });
    expect(await verifyPassword(stored, "not-a-real-password-000")).toBe(true);
  });
});

describe("refused sign-in over HTTP", () => {
  const nextAuthRedirect = (code: string) => Response.redirect(`http://localhost:3000/login?error=CredentialsSignin&code=${code}`, 302);

  it("answers 503 with Retry-After when hashing is at capacity, 429 when throttled", async () => {
    const busy = await shapeSignInResponse(nextAuthRedirect("busy_2"));
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("2");
    const throttled = await shapeSignInResponse(Response.json({ url: "http://localhost:3000/login?error=CredentialsSignin&code=throttled_15" }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("15");
  });

  it("leaves other answers alone", async () => {
    const wrong = nextAuthRedirect("invalid_credentials");
    expect(await shapeSignInResponse(wrong)).toBe(wrong);
    expect(refusalFromCode("busy_x")).toBeNull();
    expect(refusalFromCode("throttled_900")).toEqual({ kind: "throttled", retryAfterSeconds: 900 });
  });
});
