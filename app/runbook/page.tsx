import type { Metadata } from "next";
import { AppHeader } from "@/components/app-header";
import { Providers } from "@/components/providers";
import { RunbookSteps } from "@/components/runbook/runbook-steps";
import { env } from "@/lib/env";
import { requirePageActor } from "@/lib/recovery/authz";
import { readContacts } from "@/lib/recovery/data";
import { LEVEL_ASKS } from "@/lib/recovery/escalation";
import { can } from "@/lib/recovery/permissions";
import { postIncidentChecklist, renderSteps, runbookConfig, scenarios } from "@/lib/recovery/runbook";

export const metadata: Metadata = { title: "Runbook" };
export const dynamic = "force-dynamic";

/** The whole recovery runbook, with commands filled in from configuration and the emergency contacts. */
export default async function RunbookPage() {
  const actor = await requirePageActor("health.read", "/runbook");
  const e = env();
  const config = runbookConfig({ tradingDatabaseUrl: e.TRADING_DATABASE_URL, tradeDirectorUrl: e.TRADE_DIRECTOR_URL });
  const contacts = Object.values(await readContacts());
  const canAct = can(actor.role, "actions.execute");
  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-5xl space-y-6 p-4">
        <h1 className="text-xl font-semibold">DistortSignals recovery runbook</h1>
        <section aria-labelledby="contacts-title" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <h2 id="contacts-title" className="mb-2 font-semibold">
            Emergency contacts
          </h2>
          <ul className="text-sm" data-testid="contacts">
            {contacts.map((c) => (
              <li key={c.key}>
                <span className="font-medium">{c.role}:</span>{" "}
                {c.set ? [c.name, c.phone, c.email, c.notes].filter(Boolean).join(" · ") : <span className="font-semibold text-red-700 dark:text-red-300">not set ({c.problem})</span>}
              </li>
            ))}
          </ul>
        </section>
        {scenarios.map((s) => (
          <section key={s.number} id={s.slug} aria-labelledby={`${s.slug}-title`} className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
            <h2 id={`${s.slug}-title`} className="font-semibold">
              {s.number}. {s.title}
            </h2>
            <p className="mt-1 text-sm">
              <span className="font-medium">Symptoms:</span> {s.symptoms} <span className="text-zinc-500">(checks: {s.checkIds.join(", ")})</span>
            </p>
            <h3 className="mt-2 text-sm font-medium">Recovery steps</h3>
            <RunbookSteps steps={renderSteps(s, config)} done={new Set()} canAct={canAct} />
            {s.rollback && (
              <p className="mt-2 text-sm">
                <span className="font-medium">Rollback plan:</span> {s.rollback}
              </p>
            )}
            {s.prevention && (
              <p className="mt-1 text-sm">
                <span className="font-medium">Prevention:</span> {s.prevention}
              </p>
            )}
          </section>
        ))}
        <section className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <h2 className="font-semibold">Escalation procedure</h2>
          <ol className="mt-1 list-decimal pl-6 text-sm">
            <li>Level 1 (0-{e.ESCALATION_L2_MINUTES} min): {LEVEL_ASKS[1].slice(4)}</li>
            <li>
              Level 2 ({e.ESCALATION_L2_MINUTES}-{e.ESCALATION_L3_MINUTES} min): {LEVEL_ASKS[2].slice(4)}
            </li>
            <li>Level 3 ({e.ESCALATION_L3_MINUTES}+ min): {LEVEL_ASKS[3].slice(4)}</li>
          </ol>
          <h2 className="mt-3 font-semibold">Post-incident</h2>
          <ol className="mt-1 list-decimal pl-6 text-sm">
            {postIncidentChecklist.map((c) => (
              <li key={c.key}>{c.text}</li>
            ))}
          </ol>
        </section>
      </main>
    </Providers>
  );
}
