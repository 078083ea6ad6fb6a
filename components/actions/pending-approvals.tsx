"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { approveRecoveryAction } from "@/app/actions/recovery";
import type { RecoveryOutcome } from "@/lib/actions/recovery";
import type { ActionResult } from "@/lib/actions/result";
import { fetchJson } from "../data/fetch-json";
import { ReauthDialog } from "../reauth-dialog";
import { Time } from "../time";
import { keys } from "../data/keys";

type Approval = {
  id: string;
  action: string;
  requestedBy: string;
  mine: boolean;
  targetCount: number;
  reason: string;
  incidentRef: string | null;
  expiresAt: string;
};

const fetchApprovals = async (signal: AbortSignal) => (await fetchJson<{ approvals: Approval[] }>("/api/approvals", signal)).approvals;

/** Large actions waiting for a second on-call (two-person approval). */
export function PendingApprovals() {
  const queryClient = useQueryClient();
  const { data } = useQuery({ queryKey: keys.approvals(), queryFn: ({ signal }) => fetchApprovals(signal), refetchInterval: 5000 });
  const [results, setResults] = useState<Record<string, ActionResult<RecoveryOutcome>>>({});
  const [pending, start] = useTransition();
  // Approving a destructive action needs a recent sign-in, as requesting it does: after signing in
  // again, the same approval is tried once more.
  const [reauth, setReauth] = useState<{ id: string; method?: "password" | "sso" } | null>(null);
  const approve = (id: string) =>
    start(async () => {
      const r = await approveRecoveryAction({ approvalId: id, idempotencyKey: crypto.randomUUID() });
      setResults((x) => ({ ...x, [id]: r }));
      if (!r.ok && r.code === "auth.reauth_required") setReauth({ id, method: r.reauth?.method });
      await queryClient.invalidateQueries({ queryKey: keys.approvals() });
      await queryClient.invalidateQueries({ queryKey: keys.health() });
    });
  if (!data?.length) return null;
  return (
    <section aria-labelledby="approvals-title" className="mb-4 rounded-lg border border-amber-400 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950/40">
      <h2 id="approvals-title" className="font-semibold">
        Waiting for approval
      </h2>
      <ul className="mt-2 space-y-2 text-sm">
        {data.map((a) => (
          <li key={a.id} data-testid={`approval-${a.id}`}>
            <span className="font-medium">{a.action}</span> on {a.targetCount} targets, requested by {a.requestedBy}: “{a.reason}”
            {a.incidentRef ? ` (${a.incidentRef})` : ""} · expires <Time iso={a.expiresAt} style="clock-seconds" />
            {!a.mine && (
              <button
                type="button"
                disabled={pending}
                className="ml-2 rounded-md bg-red-700 px-2 py-0.5 text-white disabled:opacity-60"
                onClick={() => approve(a.id)}
              >
                Approve and run
              </button>
            )}
            {a.mine && <span className="ml-2 text-zinc-600 dark:text-zinc-400">(yours: another on-call must approve)</span>}
            <span aria-live="polite" className="ml-2">
              {results[a.id]?.message}
            </span>
          </li>
        ))}
      </ul>
      <ReauthDialog
        open={reauth !== null}
        method={reauth?.method}
        actionLabel="Approve and run"
        onConfirmed={() => {
          const id = reauth?.id;
          setReauth(null);
          if (id) approve(id);
        }}
        onCancel={() => setReauth(null)}
      />
    </section>
  );
}
