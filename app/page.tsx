import { AppHeader } from "@/components/app-header";
import { HealthBoard } from "@/components/health-board";
import { Providers } from "@/components/providers";
import { requirePageActor } from "@/lib/recovery/authz";
import { can } from "@/lib/recovery/permissions";
import { healthMonitor } from "@/lib/recovery/snapshot";

export const dynamic = "force-dynamic";

export default async function DashboardPage() {
  const actor = await requirePageActor("health.read", "/");
  // Server-render the current snapshot and history: the page is useful before JavaScript loads.
  const monitor = healthMonitor();
  const [snapshot, history] = await Promise.all([monitor.get(), monitor.historySnapshot()]);
  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-7xl p-4">
        <h1 className="sr-only">Dashboard</h1>
        <HealthBoard initial={snapshot} initialHistory={history} canAct={can(actor.role, "actions.execute")} />
      </main>
    </Providers>
  );
}
