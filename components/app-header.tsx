import { Link } from "@/components/deferred-link";
import type { Actor } from "@/lib/recovery/access/authz";
import { signOutAction } from "@/app/actions/session";
import { can, type Permission } from "@/lib/recovery/access/permissions";
import { RunbookProblemBanner } from "./runbook/runbook-problem-banner";
import { TimeSetting } from "./time";

/** The main navigation: a link shows only to roles that may open its page. */
const LINKS: { href: string; label: string; permission: Permission }[] = [
  { href: "/status", label: "Status", permission: "status.read" },
  { href: "/incidents", label: "Incidents", permission: "incidents.read" },
  { href: "/runbook", label: "Runbook", permission: "health.read" },
  { href: "/audit", label: "Audit", permission: "audit.read" },
  { href: "/admin/users", label: "Users", permission: "users.manage" },
];

export function AppHeader({ actor }: { actor: Actor }) {
  return (
    <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-2 px-4 py-3">
        <nav aria-label="Main" className="flex items-center gap-4">
          <Link href="/" className="font-semibold">
            Recovery Console
          </Link>
          {LINKS.filter((l) => can(actor.role, l.permission)).map((l) => (
            <Link key={l.href} href={l.href} className="text-sm hover:underline">
              {l.label}
            </Link>
          ))}
        </nav>
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <TimeSetting />
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
      {can(actor.role, "runbook.problems") && <RunbookProblemBanner />}
    </header>
  );
}
