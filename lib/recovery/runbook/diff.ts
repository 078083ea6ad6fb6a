/**
 * What changed between two runbook versions, for /runbook: line hunks with two lines of context
 * (the `diff` package's structuredPatch). Pure.
 */
import { structuredPatch } from "diff";

export type DiffLine = { kind: "added" | "removed" | "context"; text: string };
export type DiffHunk = { oldStart: number; newStart: number; lines: DiffLine[] };

export function runbookDiff(previous: string, current: string): DiffHunk[] {
  const patch = structuredPatch("previous", "current", previous, current, undefined, undefined, { context: 2 });
  return patch.hunks.map((h) => ({
    oldStart: h.oldStart,
    newStart: h.newStart,
    lines: h.lines
      .filter((l) => !l.startsWith("\\"))
      .map((l) => ({ kind: l[0] === "+" ? "added" : l[0] === "-" ? "removed" : "context", text: l.slice(1) }) as DiffLine),
  }));
}
