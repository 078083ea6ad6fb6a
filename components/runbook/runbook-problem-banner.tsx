import { Link } from "@/components/deferred-link";
import { readRunbookProblem } from "@/lib/recovery/data";

/**
 * For on-call and admin: the runbook file on disk does not load, so the console still follows the
 * last good version. Names the line and the problem, so the fix is one edit away.
 */
export async function RunbookProblemBanner() {
  const problem = await readRunbookProblem().catch(() => null);
  if (!problem) return null;
  const first = problem.problems[0];
  return (
    <div className="bg-amber-100 px-4 py-1 text-sm text-amber-950 dark:bg-amber-950 dark:text-amber-100" data-testid="runbook-problem">
      <div className="mx-auto max-w-7xl">
        Runbook file not loaded, the last good version is in force:{" "}
        <span className="font-medium">
          line {first?.line}: {first?.message}
        </span>
        {problem.problems.length > 1 && ` (and ${problem.problems.length - 1} more)`} ·{" "}
        <Link href="/runbook" className="underline">
          runbook
        </Link>
      </div>
    </div>
  );
}
