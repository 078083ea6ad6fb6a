import { Suspense } from "react";
import { AppHeader } from "@/components/app-header";
import { HealthBoard, IncidentBanner, SeedQuery } from "@/components/dashboard-live";
import { keys } from "@/components/data/keys";
import { Providers } from "@/components/providers";
import { requirePageActor, type Actor } from "@/lib/recovery/access/authz";
import { PendingApprovals } from "@/components/actions/pending-approvals-lazy";
import { RunbookProvider, type RunbookData } from "@/components/runbook/runbook-context";
import { env } from "@/lib/env";
import { readContacts, readHealth, readHealthHistory, readOpenIncidentsOrNull, readRunbook } from "@/lib/recovery/data";
import { can } from "@/lib/recovery/access/permissions";
import { renderSteps, runbookConfig, runbookLinks } from "@/lib/recovery/runbook/model";

export const dynamic = "force-dynamic";

export default async function DashboardPage() {
  // Authorization first, outside the streamed part: a refusal is still a real redirect or 403.
  const actor = await requirePageActor("health.read", "/");
  // The frame (header, landmarks) goes out at once; the panels follow in the same response as soon
  // as the snapshot is read, so the browser starts on the CSS and scripts meanwhile, and a slow
  // trading DB or console store delays the panels, not the page (npm run bench, ttfb_ratio).
  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-7xl p-4">
        <h1 className="sr-only">Dashboard</h1>
        <Suspense fallback={<p className="text-sm text-zinc-600 dark:text-zinc-400">Reading the health checks…</p>}>
          <Dashboard actor={actor} />
        </Suspense>
      </main>
    </Providers>
  );
}

async function Dashboard({ actor }: { actor: Actor }) {
  // Server-render the current snapshot and history: the page is useful before the scripts load.
  const [snapshot, history, incidents, contacts, { current }] = await Promise.all([
    readHealth(),
    readHealthHistory(),
    // The console store may be down: the panels still render, the banner catches up when it is back.
    readOpenIncidentsOrNull(),
    readContacts(),
    readRunbook(),
  ]);
  // The runbook file as now in force (RUNBOOK_FILE, reloaded on change): a panel shows the scenario the file binds its check to.
  const scenarios = current.runbook.scenarios;
  const e = env();
  const config = runbookConfig({ tradingDatabaseUrl: e.TRADING_DATABASE_URL, tradeDirectorUrl: e.TRADE_DIRECTOR_URL });
  const runbook: RunbookData = {
    steps: Object.fromEntries(scenarios.map((s) => [s.number, renderSteps(s, config)])),
    titles: Object.fromEntries(scenarios.map((s) => [s.number, s.title])),
    contacts: Object.fromEntries(scenarios.map((s) => [s.number, s.contacts.map((k) => contacts[k])])),
    byCheck: Object.fromEntries(scenarios.flatMap((s) => s.checkIds.map((id) => [id, s.number] as const)).reverse()),
    version: current.hash.slice(0, 12),
    links: runbookLinks({ logsUrl: e.RUNBOOK_LOGS_URL, cloudflareUrl: e.RUNBOOK_CLOUDFLARE_URL, brokerStatusUrl: e.RUNBOOK_BROKER_STATUS_URL }),
  };
  return (
    <>
      <SeedQuery queryKey={keys.incidents()} data={incidents} />
      <IncidentBanner initial={incidents} canManage={can(actor.role, "incidents.manage")} canAct={can(actor.role, "actions.execute")} />
      {can(actor.role, "actions.approve") && <PendingApprovals />}
      <RunbookProvider value={runbook}>
        <HealthBoard initial={snapshot} initialHistory={history} canAct={can(actor.role, "actions.execute")} />
      </RunbookProvider>
    </>
  );
}
