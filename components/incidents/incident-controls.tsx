"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useActionState, useState, useTransition } from "react";
import { acknowledgeIncidentAction, addIncidentNoteAction, setChecklistItemAction, setIncidentCommanderAction } from "@/app/incidents/actions";
import type { ActionResult } from "@/lib/actions/result";
import { keys } from "../data/keys";

const input = "mt-1 w-full rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-950";
const button = "rounded-md bg-sky-700 px-3 py-1 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60";

/** "I'm on it." */
export function AcknowledgeButton({ incidentId }: { incidentId: number }) {
  const [pending, start] = useTransition();
  const [state, setState] = useState<ActionResult | null>(null);
  const queryClient = useQueryClient();
  const router = useRouter();
  return (
    <span>
      <button
        type="button"
        className={button}
        disabled={pending}
        onClick={() =>
          start(async () => {
            const r = await acknowledgeIncidentAction({ incidentId });
            setState(r);
            await queryClient.invalidateQueries({ queryKey: keys.incidents() });
            router.refresh();
          })
        }
      >
        Acknowledge: I&apos;m on it
      </button>
      <span aria-live="polite" className="ml-2 text-sm">
        {state && !state.ok ? state.message : ""}
      </span>
    </span>
  );
}

export function NoteForm({ incidentId }: { incidentId: number }) {
  const [state, action, pending] = useActionState<ActionResult | null, FormData>(addIncidentNoteAction, null);
  return (
    <form action={action} className="space-y-2">
      <input type="hidden" name="incidentId" value={incidentId} />
      <label htmlFor="note-text" className="block text-sm font-medium">
        Add a note
      </label>
      <textarea id="note-text" name="text" rows={2} required className={input} aria-describedby="note-err" />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="public" /> Public: show it to stakeholders on the status page
      </label>
      <p id="note-err" aria-live="polite" className="min-h-4 text-xs text-red-700 dark:text-red-300">
        {state && !state.ok ? (state.fieldErrors?.text?.join(" ") ?? state.message) : ""}
      </p>
      <button type="submit" className={button} disabled={pending}>
        Add note
      </button>
    </form>
  );
}

export function CommanderForm({ incidentId, current }: { incidentId: number; current: string | null }) {
  const [state, action, pending] = useActionState<ActionResult | null, FormData>(setIncidentCommanderAction, null);
  return (
    <form action={action} className="flex flex-wrap items-end gap-2">
      <input type="hidden" name="incidentId" value={incidentId} />
      <div>
        <label htmlFor="commander" className="block text-sm font-medium">
          Incident commander
        </label>
        <input id="commander" name="commander" defaultValue={current ?? ""} className={input} aria-describedby="commander-err" />
      </div>
      <button type="submit" className={button} disabled={pending}>
        Assign
      </button>
      <p id="commander-err" aria-live="polite" className="w-full text-xs text-red-700 dark:text-red-300">
        {state && !state.ok ? (state.fieldErrors?.commander?.join(" ") ?? state.message) : ""}
      </p>
    </form>
  );
}

export function ChecklistControls({
  incidentId,
  items,
  checklist,
  canManage,
  links = {},
}: {
  incidentId: number;
  items: ReadonlyArray<{ key: string; text: string }>;
  checklist: Record<string, boolean>;
  canManage: boolean;
  /** An item's page (the runbook for "Update runbook with lessons learned") and why it is done, if it was done elsewhere. */
  links?: Record<string, { href: string; note?: string }>;
}) {
  const [pending, start] = useTransition();
  const router = useRouter();
  return (
    <ul className="space-y-1" data-testid="postincident-checklist">
      {items.map((c) => (
        <li key={c.key}>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={!!checklist[c.key]}
              disabled={!canManage || pending}
              onChange={(e) =>
                start(async () => {
                  await setChecklistItemAction({ incidentId, item: c.key, done: e.target.checked });
                  router.refresh();
                })
              }
            />
            {links[c.key] ? (
              <a href={links[c.key]!.href} className="underline">
                {c.text}
              </a>
            ) : (
              c.text
            )}
          </label>
          {links[c.key]?.note && (
            <p className="ml-6 text-xs text-zinc-600 dark:text-zinc-400" data-testid={`checklist-note-${c.key}`}>
              {links[c.key]!.note}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}
