"use client";
/**
 * Sudo mode's prompt. Open it when an action answers `code: "auth.reauth_required"` (see
 * lib/actions/mutation.ts and lib/recovery/access/authz.ts requireRecentAuth): it asks for the password again,
 * or sends SSO users through their identity provider again, then calls `onConfirmed` so the
 * caller can retry the action (the session now carries a fresh auth time).
 *
 *   const [reauth, setReauth] = useState(false);
 *   if (!state.ok && state.code === "auth.reauth_required") ... setReauth(true)
 *   <ReauthDialog open={reauth} method={state.reauth?.method} onConfirmed={() => { setReauth(false); retry(); }} onCancel={() => setReauth(false)} />
 */
import { useActionState, useEffect, useId, useRef, useSyncExternalStore } from "react";
import { useFormStatus } from "react-dom";
import { reauthPasswordAction, reauthSsoAction, type Reauthenticated } from "@/app/login/reauth-actions";
import type { ActionResult } from "@/lib/actions/result";

type ReauthState = ActionResult<Reauthenticated> | null;

type Props = {
  open: boolean;
  /** How the user signed in (from the action's `reauth.method`); password when unknown. */
  method?: "password" | "sso";
  /** What is being confirmed, e.g. "Disable a user". */
  actionLabel?: string;
  onConfirmed: (authTime: number) => void;
  onCancel: () => void;
};

const noSubscription = () => () => {};

function Submit({ children }: { children: React.ReactNode }) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" disabled={pending} className="rounded-md bg-sky-700 px-3 py-2 font-medium text-white hover:bg-sky-800 disabled:opacity-60">
      {pending ? "Checking…" : children}
    </button>
  );
}

export function ReauthDialog({ open, method = "password", actionLabel, onConfirmed, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [state, formAction] = useActionState<ReauthState, FormData>(reauthPasswordAction, null);
  const handled = useRef<ReauthState | null>(null);
  // Where SSO returns to: this page (read from the browser; nothing on the server).
  const returnTo = useSyncExternalStore(
    noSubscription,
    () => window.location.pathname + window.location.search,
    () => "",
  );
  const useSso = method === "sso" || (state?.ok === false && state.code === "auth.reauth_sso_only");

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  useEffect(() => {
    // Report each success once.
    if (state?.ok && handled.current !== state) {
      handled.current = state;
      onConfirmed(state.result.authTime);
    }
  }, [state, onConfirmed]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid="reauth-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-black/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <div className="space-y-4 p-5">
        <h2 id={titleId} className="text-lg font-semibold">
          Confirm it&apos;s you
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-300">
          {actionLabel ? `${actionLabel} needs` : "This needs"} a recent sign-in.{" "}
          {useSso ? "Continue with single sign-on to confirm." : "Enter your password again to confirm."}
        </p>
        {useSso ? (
          <form action={reauthSsoAction} className="flex flex-wrap justify-end gap-2">
            <input type="hidden" name="callbackUrl" value={returnTo} />
            <button
              type="button"
              onClick={onCancel}
              className="rounded-md border border-zinc-300 px-3 py-2 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            >
              Cancel
            </button>
            <Submit>Continue with single sign-on</Submit>
          </form>
        ) : (
          <form action={formAction} className="space-y-3">
            <div>
              <label htmlFor={`${titleId}-password`} className="block text-sm font-medium">
                Password
              </label>
              <input
                id={`${titleId}-password`}
                name="password"
                type="password"
                autoComplete="current-password"
                required
                autoFocus
                className="mt-1 w-full rounded-md border border-zinc-300 bg-white px-3 py-2 dark:border-zinc-700 dark:bg-zinc-900"
              />
            </div>
            <p aria-live="polite" data-testid="reauth-error" className="min-h-5 text-sm text-red-600 dark:text-red-400">
              {state?.ok === false ? (state.fieldErrors?.password?.join(" ") ?? state.message) : ""}
            </p>
            <div className="flex flex-wrap justify-end gap-2">
              <button
                type="button"
                onClick={onCancel}
                className="rounded-md border border-zinc-300 px-3 py-2 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
              >
                Cancel
              </button>
              <Submit>Confirm</Submit>
            </div>
          </form>
        )}
      </div>
    </dialog>
  );
}
