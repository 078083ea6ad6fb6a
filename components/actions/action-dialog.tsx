"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, useTransition } from "react";
import type { PreviewView, RecoveryOutcome, RunResult } from "@/lib/actions/recovery";
import type { ActionResult, FieldErrors } from "@/lib/actions/result";

/** A confirm's answer (lib/actions/recovery.ts). */
type ConfirmState = ActionResult<RecoveryOutcome>;
import { keys } from "../data/keys";
import { ReauthDialog } from "../reauth-dialog";
import { Time } from "../time";

/** An ISO instant among a preview's cells (e.g. when a directive was created). */
const isInstant = (v: unknown) => typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v);

export type ActionClient = {
  title: string;
  /** Server actions (thin exports in app/actions/recovery.ts). */
  preview: (params: unknown) => Promise<ActionResult<PreviewView>>;
  confirm: (input: unknown) => Promise<ConfirmState>;
};

const outcomeLabel: Record<string, string> = {
  cancelled: "Cancelled",
  skipped_not_pending: "Skipped: no longer pending",
  skipped_locked: "Skipped: locked",
  terminated: "Terminated",
  gone: "Gone",
  not_permitted: "Not permitted",
  reset: "Reset",
  timeout_unknown: "Unknown (timed out)",
  failed: "Failed",
};

/**
 * The confirm dialog: the preview of exactly what will be touched, a reason, the typed
 * confirmation for destructive actions, and the result per target. A native modal <dialog>
 * makes the page behind it inert and closes on Escape; Tab and Shift+Tab wrap at its edges
 * (trapTab), since the native dialog lets focus leave the page for the browser's toolbar.
 */
export function ActionDialog({
  action,
  params,
  open,
  onClose,
  incidentRef,
}: {
  action: ActionClient;
  params?: unknown;
  open: boolean;
  onClose: () => void;
  incidentRef?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const queryClient = useQueryClient();
  const ids = useId();
  const [preview, setPreview] = useState<ActionResult<PreviewView> | null>(null);
  const [state, setState] = useState<ConfirmState | null>(null);
  const [loading, startLoading] = useTransition();
  const [submitting, startSubmit] = useTransition();
  // One key per opened dialog: a double click or a retried request runs once.
  const [idempotencyKey, setKey] = useState("");
  // What the operator typed. Controlled, so a refusal (a wrong confirmation, sudo mode's prompt)
  // keeps it for the retry: a form action would reset the fields after every submit.
  const [values, setValues] = useState<FormValues>({ reason: "", incidentRef: "", confirmation: "" });
  // Checked in the browser before anything is sent: a form that fails these is not an attempt.
  const [localErrors, setLocalErrors] = useState<FieldErrors | null>(null);
  const [reauth, setReauth] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      setPreview(null);
      setState(null);
      setLocalErrors(null);
      setValues({ reason: "", incidentRef: incidentRef ?? "", confirmation: "" });
      setKey(crypto.randomUUID());
      startLoading(async () => setPreview(await action.preview(params ?? {})));
    } else if (!open && d.open) {
      d.close();
    }
    // The incident reference is read when the dialog opens; afterwards the field is the operator's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, action, params]);

  const p = preview?.ok ? preview.result : undefined;
  const status = state?.result?.status;
  const done = (state?.ok && (status === "done" || status === "approval_required")) || (state?.ok === false && !!state.result?.run);
  const fieldErrors = localErrors ?? (state?.ok === false ? state.fieldErrors : undefined);

  useEffect(() => {
    // Focus follows the outcome: the result, once the action ran (or waits for approval).
    if (done) resultRef.current?.focus();
  }, [done]);

  function send(v: FormValues) {
    if (!p) return;
    startSubmit(async () => {
      const result = await action.confirm({
        previewToken: p.token,
        reason: v.reason,
        incidentRef: v.incidentRef.trim() || undefined,
        confirmation: p.destructive ? v.confirmation : undefined,
        idempotencyKey,
        ...(params ? { params } : {}),
      });
      setState(result);
      // A refusal changed nothing and the server gave the key back; a fresh key makes the next
      // Confirm a new attempt all the same (also when the store could not record the refusal).
      const ran = result.result?.status;
      if (!result.result) setKey(crypto.randomUUID());
      if (!result.ok && result.code === "auth.reauth_required") setReauth(true);
      if (ran === "done") await queryClient.invalidateQueries({ queryKey: keys.health() });
    });
  }

  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!p || submitting) return;
    const errors = validate(values, p);
    setLocalErrors(errors);
    if (errors) {
      const first = Object.keys(errors)[0];
      e.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    send(values);
  }

  const edit = (field: keyof FormValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    const value = e.target.value;
    setValues((v) => ({ ...v, [field]: value }));
  };

  return (
    <dialog
      ref={ref}
      // The re-authentication dialog inside this one closes too: React passes its close event up
      // the component tree, and only this dialog's own close closes the action.
      onClose={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
      onKeyDown={trapTab}
      aria-labelledby={`${ids}-title`}
      data-testid="action-dialog"
      className="m-auto w-[min(56rem,calc(100vw-1rem))] rounded-xl border border-zinc-300 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-black/50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <div className="max-h-[85vh] overflow-y-auto p-5">
        <h2 id={`${ids}-title`} className="text-lg font-semibold">
          {action.title}
        </h2>
        {loading && <p className="mt-3 text-sm">Loading the preview…</p>}
        {preview && !preview.ok && (
          <p role="status" className="mt-3 text-sm text-red-700 dark:text-red-300" data-testid="action-error">
            {preview.message}
          </p>
        )}
        {p && (
          <>
            <p className="mt-3 text-sm" data-testid="preview-summary">
              {p.summary}
            </p>
            {p.rows.length > 0 && <PreviewTable preview={p} />}
            {p.excluded.length > 0 && (
              <div className="mt-3 text-sm">
                <p className="font-medium">Not touched:</p>
                <ul className="list-disc pl-5" data-testid="preview-excluded">
                  {p.excluded.map((x) => (
                    <li key={x.target}>
                      {x.target}: {x.reason}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {p.needsApproval && (
              <p className="mt-3 rounded-md bg-amber-100 p-2 text-sm text-amber-900 dark:bg-amber-900/40 dark:text-amber-100">
                This is above the approval threshold: after you confirm, a second on-call must approve it.
              </p>
            )}
            {!done && (
              <form onSubmit={onSubmit} className="mt-4 space-y-3" noValidate>
                <div>
                  <label htmlFor={`${ids}-reason`} className="block text-sm font-medium">
                    Reason
                  </label>
                  <textarea
                    id={`${ids}-reason`}
                    name="reason"
                    required
                    minLength={REASON_MIN}
                    maxLength={REASON_MAX}
                    rows={2}
                    value={values.reason}
                    onChange={edit("reason")}
                    aria-invalid={fieldErrors?.reason ? true : undefined}
                    aria-describedby={`${ids}-reason-err`}
                    className="mt-1 w-full rounded-md border border-zinc-400 bg-white px-2 py-1 dark:border-zinc-500 dark:bg-zinc-950"
                    placeholder="What you saw, and why this action (at least 10 characters)"
                  />
                  <FieldError id={`${ids}-reason-err`} messages={fieldErrors?.reason} />
                </div>
                <div>
                  <label htmlFor={`${ids}-ref`} className="block text-sm font-medium">
                    Incident or ticket (optional)
                  </label>
                  <input
                    id={`${ids}-ref`}
                    name="incidentRef"
                    value={values.incidentRef}
                    onChange={edit("incidentRef")}
                    maxLength={REF_MAX}
                    aria-invalid={fieldErrors?.incidentRef ? true : undefined}
                    aria-describedby={`${ids}-ref-err`}
                    className="mt-1 w-full rounded-md border border-zinc-400 bg-white px-2 py-1 dark:border-zinc-500 dark:bg-zinc-950"
                  />
                  <FieldError id={`${ids}-ref-err`} messages={fieldErrors?.incidentRef} />
                </div>
                {p.destructive && p.confirmWord && (
                  <div>
                    <label htmlFor={`${ids}-confirm`} className="block text-sm font-medium">
                      Type {p.confirmWord} to confirm
                    </label>
                    <input
                      id={`${ids}-confirm`}
                      name="confirmation"
                      inputMode={/^\d+$/.test(p.confirmWord) ? "numeric" : "text"}
                      autoComplete="off"
                      spellCheck={false}
                      value={values.confirmation}
                      onChange={edit("confirmation")}
                      aria-invalid={fieldErrors?.confirmation ? true : undefined}
                      aria-describedby={`${ids}-confirm-err`}
                      className="mt-1 w-48 rounded-md border border-zinc-400 bg-white px-2 py-1 dark:border-zinc-500 dark:bg-zinc-950"
                    />
                    <FieldError id={`${ids}-confirm-err`} messages={fieldErrors?.confirmation} />
                  </div>
                )}
                <div className="flex flex-wrap gap-2 pt-1">
                  <button
                    type="submit"
                    disabled={submitting}
                    className="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-800 disabled:opacity-60"
                  >
                    {submitting ? "Working…" : `Confirm: ${action.title}`}
                  </button>
                  <button type="button" onClick={onClose} className="rounded-md border border-zinc-400 px-3 py-1.5 dark:border-zinc-500">
                    Cancel
                  </button>
                </div>
              </form>
            )}
          </>
        )}
        {/* Focusable (by script only) once there is a result to move focus to; until then the dialog's
            first control takes focus when it opens. */}
        <div aria-live="polite" className="mt-3 outline-none" ref={resultRef} tabIndex={done ? -1 : undefined} data-testid="action-result-region">
          {state && <ResultView state={state} />}
        </div>
        <ReauthDialog
          open={reauth}
          method={state?.ok === false ? state.reauth?.method : undefined}
          actionLabel={action.title}
          onConfirmed={() => {
            setReauth(false);
            // Signed in again: the same request, with what was typed, once.
            send(values);
          }}
          onCancel={() => setReauth(false)}
        />
        {done && (
          <button type="button" onClick={onClose} className="mt-4 rounded-md border border-zinc-400 px-3 py-1.5 dark:border-zinc-500">
            Close
          </button>
        )}
      </div>
    </dialog>
  );
}

type FormValues = { reason: string; incidentRef: string; confirmation: string };

// The server's rules (lib/recovery/guarded-action.ts confirmSchema), checked first in the browser.
const REASON_MIN = 10;
const REASON_MAX = 2000;
const REF_MAX = 100;

/** The browser's check of the form, with the server's words; null when it may be sent. */
export function validate(v: FormValues, p: Pick<PreviewView, "destructive" | "confirmWord">): FieldErrors | null {
  const errors: FieldErrors = {};
  const reason = v.reason.trim();
  if (reason.length < REASON_MIN) errors.reason = ["Give a reason of at least 10 characters: what you saw and why this action."];
  else if (reason.length > REASON_MAX) errors.reason = ["Keep the reason under 2000 characters."];
  if (v.incidentRef.trim().length > REF_MAX) errors.incidentRef = ["Keep the incident or ticket reference under 100 characters."];
  if (p.destructive && p.confirmWord && v.confirmation.trim() !== p.confirmWord) errors.confirmation = [`Type ${p.confirmWord} to confirm.`];
  return Object.keys(errors).length ? errors : null;
}

const TABBABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

/**
 * Keeps Tab inside the modal dialog (WAI-ARIA APG dialog pattern): from its last control Tab
 * goes to the first, and Shift+Tab from the first goes to the last. Controls inside a nested
 * dialog (the re-authentication prompt) are that dialog's business.
 */
function trapTab(e: React.KeyboardEvent<HTMLDialogElement>) {
  const d = e.currentTarget;
  if (e.key !== "Tab" || e.defaultPrevented || (e.target as Element).closest("dialog") !== d) return;
  const tabbable = [...d.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (el) => el.closest("dialog") === d && el.tabIndex >= 0 && !el.matches(":disabled") && el.getClientRects().length > 0,
  );
  const first = tabbable[0];
  const last = tabbable[tabbable.length - 1];
  const active = document.activeElement;
  if (!first || !last) {
    e.preventDefault();
  } else if (!tabbable.includes(active as HTMLElement) && active !== d) {
    // Focus on something outside the tab order (the result, moved there by script): Tab goes on from the dialog's edge.
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  } else if (e.shiftKey && (active === first || active === d)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && active === last) {
    e.preventDefault();
    first.focus();
  }
}

function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  return (
    <p id={id} className="min-h-4 text-xs text-red-700 dark:text-red-300">
      {messages?.join(" ")}
    </p>
  );
}

function PreviewTable({ preview }: { preview: PreviewView }) {
  return (
    <div className="mt-3 max-h-64 overflow-auto rounded-md border border-zinc-200 dark:border-zinc-800">
      <table className="w-full text-left text-xs" data-testid="preview-table">
        <caption className="sr-only">What this action will touch</caption>
        <thead className="sticky top-0 bg-zinc-100 dark:bg-zinc-800">
          <tr>
            {preview.columns.map((c) => (
              <th key={c.key} scope="col" className="px-2 py-1 font-semibold">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((r, i) => (
            <tr key={i} className="border-t border-zinc-200 dark:border-zinc-800">
              {preview.columns.map((c) => (
                <td key={c.key} className="max-w-[20rem] truncate px-2 py-1 font-mono">
                  {isInstant(r[c.key]) ? <Time iso={r[c.key] as string} /> : (r[c.key] ?? "—")}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ResultView({ state }: { state: ConfirmState }) {
  const r: RunResult | undefined = state.result?.run;
  const status = state.result?.status;
  const tone =
    status === "done" && state.ok
      ? "text-green-800 dark:text-green-300"
      : status === "approval_required"
        ? "text-amber-800 dark:text-amber-200"
        : "text-red-700 dark:text-red-300";
  const outcome = r?.outcome ?? (state.ok ? (status === "approval_required" ? "approval_required" : undefined) : state.code);
  return (
    <div data-testid="action-result" data-outcome={outcome}>
      <p className={`text-sm font-medium ${tone}`}>
        {state.ok ? state.message : state.message}
        {!state.ok && state.retryAfterSeconds ? ` (retry in ${state.retryAfterSeconds} s)` : ""}
      </p>
      {r && r.perTarget.length > 0 && (
        <div className="mt-2 max-h-48 overflow-auto rounded-md border border-zinc-200 dark:border-zinc-800">
          <table className="w-full text-left text-xs" data-testid="result-table">
            <caption className="sr-only">Result per target</caption>
            <thead className="bg-zinc-100 dark:bg-zinc-800">
              <tr>
                <th scope="col" className="px-2 py-1">
                  Target
                </th>
                <th scope="col" className="px-2 py-1">
                  Result
                </th>
                <th scope="col" className="px-2 py-1">
                  Detail
                </th>
              </tr>
            </thead>
            <tbody>
              {r.perTarget.map((t) => (
                <tr key={t.target} className="border-t border-zinc-200 dark:border-zinc-800">
                  <td className="px-2 py-1 font-mono">{t.target}</td>
                  <td className="px-2 py-1">{outcomeLabel[t.outcome] ?? t.outcome}</td>
                  <td className="px-2 py-1">{t.detail ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r?.after && (
        <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
          Panel re-checked: {r.before ? `${r.before.value ?? "—"} → ` : ""}
          {r.after.value ?? "—"} ({r.after.status}). Audit entries #{r.intentSeq}
          {r.outcomeSeq ? ` and #${r.outcomeSeq}` : ""}.
        </p>
      )}
    </div>
  );
}
