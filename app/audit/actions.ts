"use server";
/**
 * The audit view's server action: "Verify now", through the one wrapper (lib/actions/mutation.ts):
 * audit.verify first, then lib/recovery/audit/verify-store.ts, which verifies the chain against
 * every anchor of it, records the verification as an `audit.verify` entry and anchors the
 * verified head. A broken chain is the failure `audit.broken`, whose result lists every break
 * (up to MAX_LISTED_BREAKS; `breakCount` counts them all), in the words of
 * lib/recovery/audit/verification-summary.ts, as the CLI prints them.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { AuditBusyError } from "@/lib/db/queries/audit";
import { defineMutation, fail, type ActionResult } from "@/lib/actions/mutation";
import { verifyAndRecord } from "@/lib/recovery/audit/verify-store";
import { anchorsLine, verificationHeadline } from "@/lib/recovery/audit/verification-summary";
import type { Break } from "@/lib/recovery/audit/verify";

export type VerifyOutcome = {
  status: "ok" | "broken";
  entries: number;
  headSeq: number | null;
  /** Every break found (the first MAX_LISTED_BREAKS), in seq order of discovery. */
  breaks: Break[];
  breakCount: number;
  /** What the anchors said (checked, failed, another chain's skipped). */
  anchors: string;
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
    const outcome: VerifyOutcome = {
      status: r.ok ? "ok" : "broken",
      entries: r.entries,
      headSeq: r.head?.seq ?? null,
      breaks: r.breaks,
      breakCount: r.breakCount,
      anchors: anchorsLine(r),
      entrySeq: recorded.entry?.seq ?? null,
    };
    const message = `${verificationHeadline(r)}${note}`;
    if (r.ok) return { ok: true, message, result: outcome };
    return fail("audit.broken", message, { result: outcome });
  },
);
