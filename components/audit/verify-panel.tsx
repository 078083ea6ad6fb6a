"use client";
/**
 * The chain's verification state: the last verification (from the UI or the CLI, read back from
 * its audit.verify entry), the latest anchor, and "Verify now" for those who may (audit.verify).
 */
import Link from "next/link";
import { useActionState } from "react";
import { verifyAuditChainAction, type VerifyOutcome } from "@/app/audit/actions";
import type { ActionResult } from "@/lib/actions/result";
import { describeBreak, verificationHeadline } from "@/lib/recovery/audit/verification-summary";
import type { Break } from "@/lib/recovery/audit/verify";
import { Time } from "../time";

export type VerificationSummary = {
  seq: number;
  at: string;
  by: string | null;
  via: string;
  status: "ok" | "broken" | "error";
  entries: number | null;
  headSeq: number | null;
  /** The breaks the verification entry lists (the first ones), and how many there were. */
  breaks: Break[];
  breakCount: number;
};

export type AnchorSummary = { seq: number; anchoredAt: string } | null;

/** Every listed break, one line each (the words of verification-summary.ts, as the CLI's). */
function BreakList({ breaks, breakCount, testId }: { breaks: readonly Break[]; breakCount: number; testId: string }) {
  if (breaks.length === 0) return null;
  return (
    <ul data-testid={testId} className="mt-1 max-h-48 list-disc overflow-y-auto pl-5 font-mono text-xs text-red-900 dark:text-red-200">
      {breaks.map((b, i) => (
        <li key={`${b.seq}-${b.kind}-${i}`} data-seq={b.seq} data-kind={b.kind}>
          {describeBreak(b)}
        </li>
      ))}
      {breakCount > breaks.length ? <li>… and {breakCount - breaks.length} more (run npm run audit:verify for every one)</li> : null}
    </ul>
  );
}

export function VerifyPanel({
  last,
  headSeq,
  anchor,
  canVerify,
}: {
  last: VerificationSummary | null;
  headSeq: number | null;
  anchor: AnchorSummary;
  canVerify: boolean;
}) {
  const [state, verify, pending] = useActionState<ActionResult<VerifyOutcome> | null, FormData>(verifyAuditChainAction, null);
  const status = last?.status ?? "never";
  const tone =
    status === "ok"
      ? "border-green-600/40 bg-green-50 dark:bg-green-950/30"
      : status === "never"
        ? "border-zinc-300 bg-white dark:border-zinc-700 dark:bg-zinc-900"
        : "border-red-600/50 bg-red-50 dark:bg-red-950/30";
  return (
    <section aria-labelledby="verify-title" data-testid="verify-panel" data-status={status} className={`rounded-lg border p-3 text-sm ${tone}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="space-y-1">
          <h2 id="verify-title" className="font-semibold">
            Chain integrity
          </h2>
          <p data-testid="verify-last">
            {last === null ? (
              "Not verified yet."
            ) : (
              <>
                {last.status === "ok" ? (
                  <span className="font-medium text-green-800 dark:text-green-300">
                    ✓ Verified: {last.entries} entries up to #{last.headSeq}
                  </span>
                ) : last.status === "broken" ? (
                  <span className="font-medium text-red-800 dark:text-red-300">
                    ✕ {verificationHeadline({ ok: false, entries: last.entries ?? 0, head: null, breaks: last.breaks, breakCount: last.breakCount })}
                  </span>
                ) : (
                  <span className="font-medium text-red-800 dark:text-red-300">✕ The last verification could not run</span>
                )}{" "}
                <span className="text-zinc-600 dark:text-zinc-400">
                  · <Time iso={last.at} /> by {last.by ?? "unknown"} ({last.via}) ·{" "}
                  <Link href={`/audit/${last.seq}`} className="underline">
                    #{last.seq}
                  </Link>
                </span>
              </>
            )}
          </p>
          {last?.status === "broken" ? <BreakList breaks={last.breaks} breakCount={last.breakCount} testId="verify-last-breaks" /> : null}
          <p className="text-zinc-600 dark:text-zinc-400">
            Head #{headSeq ?? 0}
            {last?.status === "ok" && last.headSeq !== null && headSeq !== null && headSeq > last.headSeq
              ? ` (${headSeq - last.headSeq} ${headSeq - last.headSeq === 1 ? "entry" : "entries"} after the verified head)`
              : ""}
            {" · "}
            {anchor ? (
              <>
                latest anchor #{anchor.seq} at <Time iso={anchor.anchoredAt} />
              </>
            ) : (
              "no anchor recorded yet"
            )}
          </p>
        </div>
        {canVerify ? (
          <form action={verify}>
            <button
              type="submit"
              disabled={pending}
              className="rounded-md bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800 disabled:cursor-wait disabled:opacity-60"
            >
              {pending ? "Verifying…" : "Verify now"}
            </button>
          </form>
        ) : null}
      </div>
      <div aria-live="polite">
        <p
          data-testid="verify-result"
          data-ok={state?.message ? String(state.ok) : undefined}
          data-break-count={state?.result?.breakCount}
          className="mt-2 empty:hidden"
        >
          {state?.message ?? ""}
        </p>
        {state?.result ? <BreakList breaks={state.result.breaks} breakCount={state.result.breakCount} testId="verify-breaks" /> : null}
        {state?.result?.anchors ? (
          <p data-testid="verify-anchors" className="text-zinc-600 dark:text-zinc-400">
            {state.result.anchors}
          </p>
        ) : null}
      </div>
    </section>
  );
}
