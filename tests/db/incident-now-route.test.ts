/**
 * GET /api/incidents/<id>/now with a hostile id (text, a huge number, a negative one, a lone
 * surrogate, NUL): a 404 (the data layer refuses the id before any query), never a 500 or 503.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// First: its mocks apply to the imports below.
import { session } from "../support/next-request";
import { GET } from "@/app/api/incidents/[id]/now/route";
import { closeStores } from "@/lib/db/client";
import { clearSessionCache } from "@/lib/recovery/access/authz";
import { addUser } from "@/lib/recovery/access/users";

beforeAll(async () => {
  const email = "incident.now@example.com";
  const { id } = await addUser(
    { email, role: "oncall", password: "a long enough passphrase" },
    { actor: { id: "cli:test", email: "cli:test", role: "admin" } },
  );
  session.current = { user: { id, email, role: "oncall" }, sv: 1, authTime: Math.floor(Date.now() / 1000), authMethod: "password" };
  clearSessionCache();
});

afterAll(async () => {
  await closeStores();
});

describe("an incident's live state, asked for with a hostile id", () => {
  it.each(["abc", "1e308", "-1", "0", "1.5", "\uD800", "1\u0000"])("%j is a 404", async (raw) => {
    const res = await GET(new Request("http://localhost/api/incidents/x/now"), { params: Promise.resolve({ id: raw }) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("incident.not_found");
  });
});
