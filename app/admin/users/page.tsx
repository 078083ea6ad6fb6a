import type { Metadata } from "next";
import { oidc } from "@/auth";
import { AppHeader } from "@/components/app-header";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { roles } from "@/lib/recovery/access/permissions";
import { readUsers } from "@/lib/recovery/data";
import { UsersAdmin } from "./users-admin";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

/** User management (admins): the same operations as `npm run user`, each audited. */
export default async function UsersPage() {
  const actor = await requirePageActor("users.manage", "/admin/users");
  const users = await readUsers();
  return (
    <>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-5xl space-y-6 p-4">
        <div>
          <h1 className="text-xl font-semibold">Users</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Changes need a sign-in within the last few minutes, take effect within a minute, and are recorded in the audit log.
            {oidc ? " Single sign-on users get their role from the identity provider at each sign-in." : ""}
          </p>
        </div>
        <UsersAdmin users={users} self={actor.email} roles={[...roles]} ssoEnabled={Boolean(oidc)} />
      </main>
    </>
  );
}
