import { describe, expect, it } from "vitest";
import { clientAddress } from "@/lib/auth/request-meta";

describe("client address", () => {
  it("takes the entry the nearest proxy wrote, never what the client prepended", () => {
    expect(clientAddress("203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientAddress("6.6.6.6, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
  });

  it("normalizes IPv4-mapped addresses and tolerates absence", () => {
    expect(clientAddress("::ffff:127.0.0.1", 1)).toBe("127.0.0.1");
    expect(clientAddress("::1", 1)).toBe("::1");
    expect(clientAddress(null, 1)).toBeNull();
    expect(clientAddress("", 1)).toBeNull();
    expect(clientAddress("1.1.1.1", 5)).toBe("1.1.1.1");
  });
});
