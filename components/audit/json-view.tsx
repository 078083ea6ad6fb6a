/** A JSON value, pretty-printed; long values scroll rather than stretch the page. */
export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
  if (value === null || value === undefined) return <p className="text-sm text-zinc-600 dark:text-zinc-400">none</p>;
  return (
    <pre data-testid={testId} tabIndex={0} className="max-h-96 overflow-auto rounded-md bg-zinc-100 p-2 text-xs leading-relaxed dark:bg-zinc-950">
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
