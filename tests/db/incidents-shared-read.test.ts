/**
 * The banner's read of the open incidents is shared by the requests that arrive while it is in
 * flight (lib/recovery/data.ts): a crowd of viewers costs the console store one read at a time,
 * not one connection each, and nothing is cached once the read is done.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// First: its mocks apply to the imports below.
import { session } from "../support/next-request";
import { closeStores } from "@/lib/db/client";
import { clearSessionCache } from "@/lib/recovery/access/authz";
import { addUser } from "@/lib/recovery/access/users";
import { readOpenIncidents } from "@/lib/recovery/data";

const reads = vi.hoisted(() => ({ n: 0 }));
vi.mock("@/lib/recovery/incidents/view", async (importOriginal) => {
  const view = await importOriginal<typeof import("@/lib/recovery/incidents/view")>();
  return {
    ...view,
    currentIncidents: (...args: Parameters<typeof view.currentIncidents>) => {
      reads.n++;
      return view.currentIncidents(...args);
    },
  };
});

beforeAll(async () => {
  const { id } = await addUser(
    { email: "shared.read@example.com", role: "viewer", password: "a long enough passphrase" },
    { actor: { id: "cli:test", email: "cli:test", role: "admin" } },
  );
  session.current = { user: { id, email: "shared.read@example.com", role: "viewer" }, sv: 1, authTime: Math.floor(Date.now() / 1000), authMethod: "password" };
  clearSessionCache();
  await readOpenIncidents(); // the session is loaded once; the reads below are the incidents' only
});

afterAll(async () => {
  await closeStores();
});

describe("the open incidents, read once for a crowd", () => {
  it("50 concurrent requests share the read in flight, and the next request reads again", async () => {
    reads.n = 0;
    const answers = await Promise.all(Array.from({ length: 50 }, () => readOpenIncidents()));
    expect(reads.n).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    await readOpenIncidents();
    expect(reads.n).toBe(2);
  });
});
