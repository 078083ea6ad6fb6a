import type { Metadata } from "next";
import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { Providers } from "@/components/providers";
import { StatusView } from "@/components/status/status-view";
import { requirePageActor, requirePermission, statusIsPublic } from "@/lib/recovery/access/authz";
import { readStatus } from "@/lib/recovery/data";

export const metadata: Metadata = { title: "Status", alternates: { types: { "application/atom+xml": "/api/status/feed" } } };
export const dynamic = "force-dynamic";

/**
 * The stakeholder status view: plain language, read-only, live. Viewers land here. With
 * STATUS_PUBLIC=1 anyone may read it without signing in (the same reduced status, nothing more).
 */
export default async function StatusPage() {
  const actor = statusIsPublic()
    ? await requirePermission("status.read", { action: "page:/status" }).catch(() => null)
    : await requirePageActor("status.read", "/status");
  // Built on the server: the browser never receives the full snapshot here.
  const initial = await readStatus();
  return (
    <Providers>
      {actor ? (
        <AppHeader actor={actor} />
      ) : (
        <header className="border-b border-zinc-200 px-4 py-3 text-sm dark:border-zinc-800">
          <div className="mx-auto flex max-w-2xl justify-between">
            <span className="font-semibold">Trading systems status</span>
            <Link href="/login?callbackUrl=%2Fstatus" className="underline">
              Sign in
            </Link>
          </div>
        </header>
      )}
      <main className="mx-auto max-w-2xl p-4">
        <StatusView initial={initial} />
        <p className="mt-4 text-sm">
          <a href="/api/status/feed" className="underline">
            Follow status changes (Atom feed)
          </a>
        </p>
      </main>
    </Providers>
  );
}
