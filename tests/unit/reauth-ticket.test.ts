import { describe, expect, it } from "vitest";
import { mintReauthTicket, verifyReauthTicket } from "@/lib/auth/reauth-ticket";

const secret = "k".repeat(40);
const now = 1_800_000_000;

describe("re-authentication tickets", () => {
  it("verify for the same user within 60 s", async () => {
    const t = await mintReauthTicket({ sub: "u1", authTime: now, method: "password" }, { secret });
    expect(await verifyReauthTicket(t, "u1", now + 59, { secret })).toEqual({ sub: "u1", authTime: now, method: "password" });
  });

  it("do not verify for another user, after 60 s, under another secret, or when altered", async () => {
    const t = await mintReauthTicket({ sub: "u1", authTime: now, method: "sso" }, { secret });
    expect(await verifyReauthTicket(t, "u2", now, { secret })).toBeNull();
    expect(await verifyReauthTicket(t, "u1", now + 61, { secret })).toBeNull();
    expect(await verifyReauthTicket(t, "u1", now, { secret: "x".repeat(40) })).toBeNull();
    const [body, sig] = t.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ sub: "u1", at: now + 10, m: "sso", exp: now + 70 })).toString("base64url");
    expect(await verifyReauthTicket(`${forgedBody}.${sig}`, "u1", now, { secret })).toBeNull();
    expect(await verifyReauthTicket(`${body}.${sig}x`, "u1", now, { secret })).toBeNull();
  });

  it("reject junk without throwing", async () => {
    for (const junk of [undefined, null, 42, "", "a.b.c", "not-a-ticket", { sub: "u1" }]) {
      expect(await verifyReauthTicket(junk, "u1", now, { secret })).toBeNull();
    }
  });
});
