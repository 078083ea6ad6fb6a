import type { Metadata } from "next";
import { AppHeader } from "@/components/app-header";
import { Providers } from "@/components/providers";
import { StatusView } from "@/components/status/status-view";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { readStatus } from "@/lib/recovery/data";

export const metadata: Metadata = { title: "Status" };
export const dynamic = "force-dynamic";

/** The stakeholder status view: plain language, read-only, live. Viewers land here. */
export default async function StatusPage() {
  const actor = await requirePageActor("status.read", "/status");
  // Built on the server: the browser never receives the full snapshot here.
  const initial = await readStatus();
  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-2xl p-4">
        <StatusView initial={initial} />
      </main>
    </Providers>
  );
}
