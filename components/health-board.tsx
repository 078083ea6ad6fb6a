"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import type { Snapshot } from "@/lib/recovery/snapshot";
import { SignedOutError, useHealth } from "./data/health-query";
import { CheckPanel } from "./check-panel";

export function HealthBoard({ initial }: { initial: Snapshot }) {
  const { data, isError, error } = useHealth(initial);
  const router = useRouter();
  useEffect(() => {
    // Session over: back through sign-in, returning here.
    if (error instanceof SignedOutError) router.replace(`/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
  }, [error, router]);
  return (
    <div>
      <p aria-live="polite" className="mb-3 min-h-5 text-sm text-amber-700 dark:text-amber-300" data-testid="refresh-error">
        {isError ? `Refresh failing (${error.message}); showing the last good data.` : ""}
      </p>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {data.checks.map((c) => (
          <CheckPanel key={c.id} check={c} stale={isError} />
        ))}
      </div>
    </div>
  );
}
