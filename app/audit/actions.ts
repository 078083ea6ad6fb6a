"use server";
/**
 * The audit view's server action: "Verify now". Thin: authorization first, then
 * lib/recovery/audit-verify.ts, which verifies the chain against the latest anchor, records the
 * verification as an `audit.verify` entry and anchors the verified head.
 */
import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { requestMetaFrom } from "@/lib/auth/request-meta";
import { DbError } from "@/lib/db/errors";
import { AuditBusyError } from "@/lib/db/queries/audit";
import { AuthzError, requirePermission } from "@/lib/recovery/authz";
import { verifyAndRecord } from "@/lib/recovery/audit-verify";

export type VerifyActionState = {
  ok: boolean;
  message?: string;
  errors?: Record<string, string[]>;
  result?: {
    status: "ok" | "broken";
    entries: number;
    headSeq: number | null;
    brokenSeq?: number;
    kind?: string;
    /** The audit.verify entry that records this verification. */
    entrySeq: number | null;
  };
};

export async function verifyAuditChainAction(_prev: VerifyActionState, _form: FormData): Promise<VerifyActionState> {
  let actor;
  try {
    actor = await requirePermission("audit.verify", { action: "audit.verify" });
  } catch (err) {
    if (err instanceof AuthzError) return { ok: false, message: err.message };
    console.error("[audit] verify: could not check access:", err);
    return { ok: false, message: "Could not check your access right now; try again." };
  }

  let state: VerifyActionState;
  try {
    const recorded = await verifyAndRecord({ actor, request: requestMetaFrom(await headers(), "/audit"), via: "ui", anchor: true });
    const r = recorded.verification.result;
    const warnings = [
      recorded.recordError ? "the verification could not be recorded in the audit log" : null,
      recorded.anchorError ? `the head could not be anchored (${recorded.anchorError})` : null,
    ].filter(Boolean);
    const note = warnings.length ? ` Warning: ${warnings.join("; ")}.` : "";
    state = r.ok
      ? {
          ok: true,
          message: `The chain holds: ${r.entries} entries, head #${r.head?.seq ?? 0}.${note}`,
          result: { status: "ok", entries: r.entries, headSeq: r.head?.seq ?? null, entrySeq: recorded.entry?.seq ?? null },
        }
      : {
          ok: false,
          message: `The chain is broken at #${r.brokenSeq} (${r.kind}): ${r.message}.${note}`,
          result: { status: "broken", entries: r.entries, headSeq: null, brokenSeq: r.brokenSeq, kind: r.kind, entrySeq: recorded.entry?.seq ?? null },
        };
  } catch (err) {
    if (err instanceof AuditBusyError) {
      state = { ok: false, message: err.message };
    } else if (err instanceof DbError) {
      console.error("[audit] verify failed:", err);
      state = { ok: false, message: `Verification could not run: ${err.publicMessage}` };
    } else {
      console.error("[audit] verify failed:", err);
      state = { ok: false, message: "Verification could not run (audit.verify_failed); see the server log." };
    }
  }
  revalidatePath("/audit");
  return state;
}
