/** An audit outcome as word and colour together (never colour alone). */
const styles: Record<string, string> = {
  succeeded: "bg-green-100 text-green-900 ring-green-600/30 dark:bg-green-900/30 dark:text-green-200",
  partial: "bg-amber-100 text-amber-900 ring-amber-600/30 dark:bg-amber-900/30 dark:text-amber-200",
  failed: "bg-red-100 text-red-900 ring-red-600/30 dark:bg-red-900/30 dark:text-red-200",
  timeout_unknown: "bg-red-100 text-red-900 ring-red-600/30 dark:bg-red-900/30 dark:text-red-200",
  denied: "bg-red-100 text-red-900 ring-red-600/30 dark:bg-red-900/30 dark:text-red-200",
  refused: "bg-zinc-100 text-zinc-800 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-200",
  throttled: "bg-zinc-100 text-zinc-800 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-200",
  pending: "bg-sky-100 text-sky-900 ring-sky-600/30 dark:bg-sky-900/30 dark:text-sky-200",
};

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return (
    <span data-testid="outcome" className={`inline-flex rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${styles[outcome] ?? styles.refused}`}>
      {outcome}
    </span>
  );
}

/** An intent with no outcome entry: whether its effect happened is not recorded. */
export function OutcomeUnknownFlag() {
  return (
    <span
      data-testid="outcome-unknown"
      title="This intent has no outcome entry: the effect may or may not have happened. Check the target system."
      className="inline-flex items-center gap-1 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-600/40 dark:bg-amber-900/30 dark:text-amber-200"
    >
      <span aria-hidden="true">?</span> outcome unknown
    </span>
  );
}
