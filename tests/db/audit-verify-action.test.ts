/**
 * "Verify now" (app/audit/actions.ts) on a broken chain: the one result shape, failure code
 * `audit.broken`, carrying every break and their count, in the CLI's words (issue 11 point 2, the
 * UI half; tests/db/audit-tamper.test.ts has the CLI's). On a scratch console store, tampered as a
 * superuser would (the append-only trigger disabled).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "x-request-id": "audit-verify-action" }) }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

import { verifyAuditChainAction } from "@/app/audit/actions";
import { clearSessionCache } from "@/lib/recovery/access/authz";
import { appendAudit } from "@/lib/recovery/audit/writer";
import { addUser } from "@/lib/recovery/access/users";
import { withEnv } from "../support/db";
import { createScratchDb, switchConsoleStore, type Scratch } from "../support/scratch-db";
import postgres from "postgres";

let db: Scratch;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rc-verify-action-"));
  await withEnv({ AUDIT_ANCHOR_FILE: path.join(tmp, "anchors.ndjson") });
  db = await createScratchDb("verify_action");
  await switchConsoleStore(db.url);
  const { id } = await addUser({ email: "auditor@example.com", role: "auditor", password: "a long enough passphrase" }, { actor: { id: "cli:test" } });
  for (let i = 1; i <= 12; i++)
    await appendAudit({ actor: { id: "u", email: "oncall@example.com", role: "oncall" }, action: "circuit.reset", outcome: "succeeded", reason: `entry ${i}` });
  const check = postgres(db.url, { max: 1, onnotice: () => {} });
  const [u] = await check<{ v: number }[]>`select session_version as v from console.users where id = ${id}`;
  await check.end();
  session.current = { user: { id, email: "auditor@example.com", role: "auditor" }, sv: u!.v, authTime: Math.floor(Date.now() / 1000) };
  clearSessionCache();
}, 60_000);

afterAll(async () => {
  await switchConsoleStore(undefined);
  await db.drop();
  await withEnv({ AUDIT_ANCHOR_FILE: undefined });
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Outcome = { status: string; breakCount: number; breaks: { seq: number; kind: string; detail: string }[]; anchors: string };

describe("Verify now", () => {
  it("answers the one result shape: ok with the count, or audit.broken listing every break", async () => {
    const ok = (await verifyAuditChainAction(null, new FormData())) as { ok: boolean; message: string; result: Outcome };
    expect(ok).toMatchObject({ ok: true, result: { status: "ok", breakCount: 0, breaks: [] } });
    expect(ok.message).toMatch(/^The chain holds: \d+ entries, head #\d+\./);

    const su = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await su.begin(async (tx) => {
        await tx`alter table console.audit_log disable trigger audit_log_no_update_delete`;
        await tx`update console.audit_log set reason = 'edited' where seq = 3`;
        await tx`delete from console.audit_log where seq in (6, 7)`;
        await tx`update console.audit_log set outcome = 'failed' where seq = 10`;
        await tx`alter table console.audit_log enable trigger audit_log_no_update_delete`;
      });
    } finally {
      await su.end();
    }
    const broken = (await verifyAuditChainAction(null, new FormData())) as { ok: boolean; code: string; message: string; result: Outcome };
    expect(broken).toMatchObject({ ok: false, code: "audit.broken", result: { status: "broken", breakCount: 3 } });
    expect(broken.result.breaks.map((b) => `${b.seq}:${b.kind}`)).toEqual(["3:modified", "6:deleted", "10:modified"]);
    expect(broken.message).toBe("The chain is broken: 3 breaks (#3 modified, #6..7 deleted, #10 modified).");
  });
});
