/** The building blocks of the check renderers: a scrollable table, a list of facts, ages in words. */
import { formatDuration } from "../format";

type Column<T> = { label: string; cell: (row: T) => React.ReactNode; className?: string };

export function Table<T>({
  caption,
  rows,
  columns,
  rowKey,
  testId,
}: {
  caption: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  testId?: string;
}) {
  if (rows.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">{caption}: none.</p>;
  return (
    // A scrollable region must be reachable by keyboard (WCAG 2.1.1), hence tabIndex.
    <div className="max-h-80 overflow-auto rounded border border-zinc-200 dark:border-zinc-800" tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full min-w-max border-collapse text-left text-xs" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="sticky top-0 bg-zinc-100 dark:bg-zinc-800">
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className="px-2 py-1 font-semibold">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} className="border-t border-zinc-200 dark:border-zinc-800">
              {columns.map((c) => (
                <td key={c.label} className={`px-2 py-1 align-top tabular-nums ${c.className ?? ""}`}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Facts({ items }: { items: Array<[string, React.ReactNode]> }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
      {items.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{k}</dt>
          <dd className="break-words tabular-nums">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export const age = (s: number | null | undefined) => (s === null || s === undefined ? "—" : formatDuration(s));
