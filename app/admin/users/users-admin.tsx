"use client";
import { useActionState, useCallback, useEffect, useRef, useState } from "react";
import { useFormStatus } from "react-dom";
import { ReauthDialog } from "@/components/reauth-dialog";
import { Time } from "@/components/time";
import type { UserSummary } from "@/lib/recovery/access/users";
import type { ActionResult } from "@/lib/actions/result";
import { addUserAction, resetPasswordAction, setDisabledAction, setRoleAction } from "./actions";

/** What a form shows: the action's last answer, none before the first submit. */
type UserFormState = ActionResult | null;
type Action = (prev: UserFormState, form: FormData) => Promise<ActionResult>;

const input = "w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 dark:border-zinc-700 dark:bg-zinc-900";
const secondary = "rounded-md border border-zinc-300 px-2 py-1.5 text-sm hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";

function Submit({ children, className }: { children: React.ReactNode; className?: string }) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" disabled={pending} className={className ?? secondary}>
      {pending ? "Saving…" : children}
    </button>
  );
}

/**
 * A form bound to a user-management action, with sudo mode: when the action answers
 * auth.reauth_required, the re-authentication dialog opens, and on success the same form is
 * submitted again.
 */
function useGuardedForm(action: Action, label: string) {
  const [state, formAction] = useActionState<UserFormState, FormData>(action, null);
  const formRef = useRef<HTMLFormElement>(null);
  const [dismissed, setDismissed] = useState<UserFormState | null>(null);
  const reauthOpen = state?.ok === false && state.code === "auth.reauth_required" && dismissed !== state;
  const onConfirmed = useCallback(() => {
    setDismissed(state);
    formRef.current?.requestSubmit();
  }, [state]);
  const dialog = (
    <ReauthDialog
      open={reauthOpen}
      method={state?.ok === false ? state.reauth?.method : undefined}
      actionLabel={label}
      onConfirmed={onConfirmed}
      onCancel={() => setDismissed(state)}
    />
  );
  return { state, formAction, formRef, dialog, reauthOpen };
}

function Message({ state, id }: { state: UserFormState; id?: string }) {
  const text = !state || (!state.ok && state.code === "auth.reauth_required") ? "" : state.message;
  return (
    <p
      id={id}
      aria-live="polite"
      data-testid="form-message"
      data-ok={state?.ok ? "true" : "false"}
      className={`min-h-5 text-sm ${state?.ok ? "text-green-700 dark:text-green-400" : "text-red-600 dark:text-red-400"}`}
    >
      {text}
    </p>
  );
}

function FieldError({ state, name, id }: { state: UserFormState; name: string; id: string }) {
  return (
    <p id={id} aria-live="polite" className="min-h-4 text-xs text-red-600 dark:text-red-400">
      {state?.ok === false ? state.fieldErrors?.[name]?.join(" ") : null}
    </p>
  );
}

function AddUser({ roles, ssoEnabled }: { roles: string[]; ssoEnabled: boolean }) {
  const { state, formAction, formRef, dialog } = useGuardedForm(addUserAction, "Adding a user");
  // A successful add clears the form for the next one.
  useEffect(() => {
    if (state?.ok) formRef.current?.reset();
  }, [state, formRef]);
  return (
    <section aria-labelledby="add-user-title" className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <h2 id="add-user-title" className="mb-3 font-semibold">
        Add a user
      </h2>
      <form ref={formRef} action={formAction} noValidate className="grid gap-3 sm:grid-cols-[2fr_1fr_2fr_auto] sm:items-start" data-testid="add-user-form">
        <div>
          <label htmlFor="add-email" className="block text-sm font-medium">
            Email
          </label>
          <input id="add-email" name="email" type="email" autoComplete="off" required className={input} aria-describedby="add-email-error" />
          <FieldError state={state} name="email" id="add-email-error" />
        </div>
        <div>
          <label htmlFor="add-role" className="block text-sm font-medium">
            Role
          </label>
          <select id="add-role" name="role" defaultValue="viewer" className={input} aria-describedby="add-role-error">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <FieldError state={state} name="role" id="add-role-error" />
        </div>
        <div>
          <label htmlFor="add-password" className="block text-sm font-medium">
            Password {ssoEnabled ? <span className="font-normal text-zinc-600 dark:text-zinc-400">(leave empty for single sign-on only)</span> : null}
          </label>
          <input
            id="add-password"
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            className={input}
            aria-describedby="add-password-error"
          />
          <FieldError state={state} name="password" id="add-password-error" />
        </div>
        <div className="sm:pt-5">
          <Submit className="rounded-md bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800 disabled:opacity-60">Add user</Submit>
        </div>
      </form>
      <Message state={state} />
      {dialog}
    </section>
  );
}

function RoleForm({ user, roles, self }: { user: UserSummary; roles: string[]; self: boolean }) {
  const { state, formAction, formRef, dialog } = useGuardedForm(setRoleAction, "Changing a role");
  return (
    <>
      <form ref={formRef} action={formAction} className="flex items-center gap-1">
        <input type="hidden" name="email" value={user.email} />
        <label className="sr-only" htmlFor={`role-${user.id}`}>
          Role of {user.email}
        </label>
        <select
          id={`role-${user.id}`}
          name="role"
          defaultValue={user.role}
          disabled={self}
          className="rounded-md border border-zinc-300 bg-white px-1 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        {self ? null : <Submit>Set role</Submit>}
        <span className="sr-only" aria-live="polite">
          {!state || (!state.ok && state.code === "auth.reauth_required") ? "" : state.message}
        </span>
        {state?.ok === false && state.code !== "auth.reauth_required" ? <span className="text-xs text-red-600 dark:text-red-400">{state.message}</span> : null}
      </form>
      {dialog}
    </>
  );
}

function DisableForm({ user, self }: { user: UserSummary; self: boolean }) {
  const { state, formAction, formRef, dialog } = useGuardedForm(setDisabledAction, user.disabled ? "Enabling a user" : "Disabling a user");
  if (self) return null;
  return (
    <>
      <form ref={formRef} action={formAction}>
        <input type="hidden" name="email" value={user.email} />
        <input type="hidden" name="disabled" value={user.disabled ? "0" : "1"} />
        <Submit>{user.disabled ? "Enable" : "Disable"}</Submit>
        <Message state={state} />
      </form>
      {dialog}
    </>
  );
}

function ResetPasswordForm({ user }: { user: UserSummary }) {
  const { state, formAction, formRef, dialog } = useGuardedForm(resetPasswordAction, "Resetting a password");
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (state?.ok) formRef.current?.reset();
  }, [state, formRef]);
  if (!open) {
    return (
      <div>
        <button type="button" className={secondary} onClick={() => setOpen(true)}>
          Reset password
        </button>
        <Message state={state} />
      </div>
    );
  }
  return (
    <>
      <form ref={formRef} action={formAction} noValidate className="space-y-1">
        <input type="hidden" name="email" value={user.email} />
        <label htmlFor={`pw-${user.id}`} className="block text-xs font-medium">
          New password for {user.email}
        </label>
        <div className="flex gap-1">
          <input
            id={`pw-${user.id}`}
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            className={input}
            aria-describedby={`pw-${user.id}-error`}
          />
          <Submit>Save</Submit>
          <button type="button" className={secondary} onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
        <FieldError state={state} name="password" id={`pw-${user.id}-error`} />
        <Message state={state} />
      </form>
      {dialog}
    </>
  );
}

export function UsersAdmin({ users, self, roles, ssoEnabled }: { users: UserSummary[]; self: string; roles: string[]; ssoEnabled: boolean }) {
  return (
    <div className="space-y-6">
      <AddUser roles={roles} ssoEnabled={ssoEnabled} />
      <section aria-labelledby="users-title" className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <h2 id="users-title" className="sr-only">
          All users
        </h2>
        <table className="w-full text-left text-sm">
          <thead className="border-b border-zinc-200 text-xs uppercase text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
            <tr>
              <th className="p-2">User</th>
              <th className="p-2">Role</th>
              <th className="p-2">Sign-in</th>
              <th className="p-2">Last sign-in</th>
              <th className="p-2">Account</th>
              <th className="p-2">Password</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {users.map((u) => (
              <tr
                key={u.id}
                data-testid={`user-${u.email}`}
                data-disabled={u.disabled ? "true" : "false"}
                data-role={u.role}
                className={u.disabled ? "opacity-60" : ""}
              >
                <td className="p-2 font-medium">
                  {u.email}
                  {u.email === self ? <span className="ml-1 text-xs text-zinc-600 dark:text-zinc-400">(you)</span> : null}
                  {u.disabled ? <span className="ml-1 rounded bg-zinc-200 px-1 text-xs dark:bg-zinc-700">disabled</span> : null}
                </td>
                <td className="p-2">
                  <RoleForm user={u} roles={roles} self={u.email === self} />
                </td>
                <td className="p-2 text-xs">{[u.hasPassword ? "password" : null, u.sso ? "SSO" : null].filter(Boolean).join(" + ") || "none"}</td>
                <td className="p-2 text-xs" suppressHydrationWarning>
                  {u.lastLoginAt ? <Time iso={u.lastLoginAt} /> : "never"}
                </td>
                <td className="p-2">
                  <DisableForm user={u} self={u.email === self} />
                </td>
                <td className="p-2">
                  <ResetPasswordForm user={u} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
