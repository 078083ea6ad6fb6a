/**
 * The words for a verification's result, shared by `npm run audit:verify` and the audit view
 * ("Verify now" and the last verification), so both say the same thing. Pure, types only: the
 * client panel imports it.
 */
import type { AnchorReport, Break, Head } from "./verify.ts";

export type VerificationFacts = {
  ok: boolean;
  entries: number;
  head: Head | null;
  breakCount: number;
  breaks: readonly Break[];
  anchors?: Pick<AnchorReport, "checked" | "failed" | "skippedOtherChain" | "beyondEnd"> & { read?: number };
};

/** `#7 modified: …`, `#4..9 deleted: …` */
export function describeBreak(b: Break): string {
  const range = b.through !== undefined && b.through !== b.seq ? `#${b.seq}..${b.through}` : `#${b.seq}`;
  return `${range} ${b.kind}: ${b.detail}`;
}

/** One line: "The chain holds: N entries, head #H." or "The chain is broken: K breaks (#a modified, #b deleted, …)." */
export function verificationHeadline(v: VerificationFacts): string {
  if (v.ok) return `The chain holds: ${v.entries} ${v.entries === 1 ? "entry" : "entries"}, head #${v.head?.seq ?? 0}.`;
  const shown = v.breaks.slice(0, 5).map((b) => `#${b.seq}${b.through !== undefined && b.through !== b.seq ? `..${b.through}` : ""} ${b.kind}`);
  const more = v.breakCount > shown.length ? `, and ${v.breakCount - shown.length} more` : "";
  return `The chain is broken: ${v.breakCount} ${v.breakCount === 1 ? "break" : "breaks"} (${shown.join(", ")}${more}).`;
}

/** What the anchors said: checked, failed, skipped as another chain's. Empty when none were read. */
export function anchorsLine(v: VerificationFacts): string {
  const a = v.anchors;
  if (!a) return "";
  if (a.checked === 0 && a.skippedOtherChain === 0 && a.beyondEnd === 0)
    return "No anchor of this chain was found: a deleted tail or a consistent rewrite cannot be detected without one.";
  const parts = [`${a.checked} ${a.checked === 1 ? "anchor" : "anchors"} checked${a.failed ? ` (${a.failed} did not match)` : ""}`];
  if (a.beyondEnd) parts.push(`${a.beyondEnd} past the end of the chain`);
  if (a.skippedOtherChain) parts.push(`${a.skippedOtherChain} of another chain skipped (a shared anchor sink)`);
  return `Anchors: ${parts.join("; ")}.`;
}
