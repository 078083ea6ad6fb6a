"use server";
/**
 * The audit view's server action: "Verify now", through the one wrapper (lib/actions/mutation.ts):
 * audit.verify first, then lib/recovery/audit-verify.ts, which verifies the chain against the
 * latest anchor, records the verification as an `audit.verify` entry and anchors the verified head.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { AuditBusyError } from "@/lib/db/queries/audit";
import { defineMutation, fail, type ActionResult } from "@/lib/actions/mutation";
import { verifyAndRecord } from "@/lib/recovery/audit-verify";

export type VerifyOutcome = {
  status: "ok" | "broken";
  entries: number;
  headSeq: number | null;
  brokenSeq?: number;
  kind?: string;
  /** The audit.verify entry that records this verification. */
  entrySeq: number | null;
};

/**
 * The form has no fields: a call is useActionState's (state, an empty form). Anything else (another
 * arity, a value that is not a form, a field) is malformed and refused as input.invalid, as for
 * every other action, rather than verified anyway.
 */
const noInput = z.strictObject({});

export const verifyAuditChainAction = defineMutation(
  {
    name: "audit.verify",
    access: "audit.verify",
    input: noInput,
    args: "form-state",
    path: "/audit",
    errors: (err) => (err instanceof AuditBusyError ? fail("conflict", err.message) : undefined),
  },
  async (_input, { actor, request }): Promise<ActionResult<VerifyOutcome>> => {
    const recorded = await verifyAndRecord({ actor, request, via: "ui", anchor: true });
    revalidatePath("/audit");
    const r = recorded.verification.result;
    const warnings = [
      recorded.recordError ? "the verification could not be recorded in the audit log" : null,
      recorded.anchorError ? `the head could not be anchored (${recorded.anchorError})` : null,
    ].filter(Boolean);
    const note = warnings.length ? ` Warning: ${warnings.join("; ")}.` : "";
    const entrySeq = recorded.entry?.seq ?? null;
    if (r.ok) {
      return { ok: true, message: `The chain holds: ${r.entries} entries, head #${r.head?.seq ?? 0}.${note}`, result: { status: "ok", entries: r.entries, headSeq: r.head?.seq ?? null, entrySeq } };
    }
    return fail("audit.broken", `The chain is broken at #${r.brokenSeq} (${r.kind}): ${r.message}.${note}`, {
      result: { status: "broken", entries: r.entries, headSeq: null, brokenSeq: r.brokenSeq, kind: r.kind, entrySeq },
    });
  },
);
