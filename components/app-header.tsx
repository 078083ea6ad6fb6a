import Link from "next/link";
import type { Actor } from "@/lib/recovery/authz";
import { signOutAction } from "@/app/actions/session";
import { can } from "@/lib/recovery/permissions";

export function AppHeader({ actor }: { actor: Actor }) {
  return (
    <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-2 px-4 py-3">
        <nav aria-label="Main" className="flex items-center gap-4">
          <Link href="/" className="font-semibold">
            Recovery Console
          </Link>
          <Link href="/status" className="text-sm hover:underline">
            Status
          </Link>
          {can(actor.role, "incidents.read") ? (
            <Link href="/incidents" className="text-sm hover:underline">
              Incidents
            </Link>
          ) : null}
          <Link href="/runbook" className="text-sm hover:underline">
            Runbook
          </Link>
          {can(actor.role, "audit.read") ? (
            <Link href="/audit" className="text-sm hover:underline">
              Audit
            </Link>
          ) : null}
          {can(actor.role, "users.manage") ? (
            <Link href="/admin/users" className="text-sm hover:underline">
              Users
            </Link>
          ) : null}
        </nav>
        <div className="flex items-center gap-3 text-sm">
          <span data-testid="whoami">
            {actor.email} · <span className="font-medium">{actor.role}</span>
          </span>
          <form action={signOutAction}>
            <button type="submit" className="rounded-md border border-zinc-300 px-2 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
              Sign out
            </button>
          </form>
        </div>
      </div>
    </header>
  );
}
