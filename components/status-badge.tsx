import type { CheckStatus } from "@/lib/recovery/health/checks/types";

const styles: Record<CheckStatus, { label: string; icon: string; cls: string }> = {
  ok: { label: "OK", icon: "✓", cls: "bg-ok/15 text-green-800 ring-ok/40 dark:text-green-300" },
  warn: { label: "Warning", icon: "!", cls: "bg-warn/20 text-amber-900 ring-warn/50 dark:text-amber-200" },
  critical: { label: "Critical", icon: "✕", cls: "bg-critical/15 text-red-800 ring-critical/50 dark:text-red-300" },
  unknown: { label: "Unknown", icon: "?", cls: "bg-unknown/15 text-zinc-700 ring-unknown/40 dark:text-zinc-300" },
};

export const statusLabel: Record<CheckStatus, string> = { ok: "OK", warn: "Warning", critical: "Critical", unknown: "Unknown" };

/** Status as colour, icon and word together: never colour alone. */
export function StatusBadge({ status, size = "sm" }: { status: CheckStatus; size?: "sm" | "lg" }) {
  const s = styles[status];
  return (
    <span
      data-testid="status"
      data-status={status}
      className={`inline-flex shrink-0 items-center gap-1 rounded-full font-semibold ring-1 ${size === "lg" ? "px-3 py-1 text-sm" : "px-2 py-0.5 text-xs"} ${s.cls}`}
    >
      <span aria-hidden="true">{s.icon}</span>
      {s.label}
    </span>
  );
}

export const statusBorder: Record<CheckStatus, string> = {
  ok: "border-l-ok",
  warn: "border-l-warn",
  critical: "border-l-critical",
  unknown: "border-l-unknown",
};
