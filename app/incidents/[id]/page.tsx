import type { Metadata } from "next";
import { requestTime } from "@/lib/time";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppHeader } from "@/components/app-header";
import { ChecklistControls, CommanderForm, AcknowledgeButton, NoteForm } from "@/components/incidents/incident-controls";
import { IncidentLive } from "@/components/incidents/incident-live";
import { Providers } from "@/components/providers";
import { Time } from "@/components/time";
import { RunbookSteps } from "@/components/runbook/runbook-steps";
import { env } from "@/lib/env";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { readContacts, readHealth, readIncident, readIncidentNow } from "@/lib/recovery/data";
import { formatDuration } from "@/lib/recovery/incidents/escalation";
import { describeEvent, describeRunbookVersion, effectiveChecklist, incidentTimes } from "@/lib/recovery/incidents/report";
import { can } from "@/lib/recovery/access/permissions";
import { postIncidentChecklist, renderSteps, runbookConfig, runbookLinks, scenarioByNumber } from "@/lib/recovery/runbook/model";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  return { title: `INC-${(await params).id}` };
}

const time = (iso: string) => <Time iso={iso} />;

export default async function IncidentPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  const actor = await requirePageActor("incidents.read", `/incidents/${id}`);
  const found = await readIncident(id);
  if (!found) notFound();
  const { incident, events, actions, deliveries, scenarios, runbookVersion, runbookUpdated } = found;
  const now = requestTime();
  const times = incidentTimes(incident, now);
  const scenario = scenarioByNumber(scenarios, incident.scenario);
  const e = env();
  const steps = scenario ? renderSteps(scenario, runbookConfig({ tradingDatabaseUrl: e.TRADING_DATABASE_URL, tradeDirectorUrl: e.TRADE_DIRECTOR_URL })) : [];
  const done = new Set(actions.filter((a) => a.phase === "outcome" && (a.outcome === "succeeded" || a.outcome === "partial")).map((a) => a.action));
  const canManage = can(actor.role, "incidents.manage");
  const canAct = can(actor.role, "actions.execute");
  const [contacts, health, live] = await Promise.all([readContacts(), readHealth(), readIncidentNow(id)]);
  if (!live) notFound();
  const failing = deliveries.filter((d) => d.status === "gave_up");

  // One timeline: the incident's own events and the actions from the audit log.
  const timeline = [
    ...events.map((ev) => ({ at: ev.at, key: `e${ev.id}`, text: describeEvent(ev), kind: ev.kind })),
    ...actions.map((a) => ({
      at: a.at,
      key: `a${a.seq}`,
      text: `${a.action} ${a.phase === "event" ? a.outcome : `→ ${a.outcome}`} by ${a.actor ?? "—"}${a.message ? `: ${a.message}` : ""} (audit #${a.seq})`,
      kind: "action",
    })),
  ].sort((x, y) => x.at.localeCompare(y.at));

  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-6xl space-y-6 p-4">
        <header>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            <Link href="/incidents" className="underline">
              Incidents
            </Link>{" "}
            / {incident.ref}
          </p>
          <h1 className="text-xl font-semibold">
            {incident.ref}: {incident.title}
          </h1>
          <IncidentLive
            initial={live}
            initialHealth={health}
            resolvedText={incident.status === "resolved" ? `Resolved after ${formatDuration(times.durationMs)}` : "Resolved"}
          />
          <dl className="mt-2 grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
            <dt className="text-zinc-600 dark:text-zinc-400">Started</dt>
            <dd>{time(incident.startedAt)}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Highest level</dt>
            <dd>L{incident.maxLevel}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Acknowledged</dt>
            <dd>{incident.acknowledgedAt ? `${formatDuration(times.acknowledgeMs ?? 0)} after start, by ${incident.acknowledgedBy}` : "not yet"}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Commander</dt>
            <dd>{incident.commander ?? "not assigned"}</dd>
            <dt className="text-zinc-600 dark:text-zinc-400">Runbook version</dt>
            <dd data-testid="incident-runbook-version">
              {runbookVersion ? describeRunbookVersion(runbookVersion) : incident.runbookHash ? incident.runbookHash.slice(0, 12) : "not recorded"}
            </dd>
          </dl>
          <div className="mt-3 flex flex-wrap gap-2">
            {canManage && incident.status === "open" && !incident.acknowledgedAt && <AcknowledgeButton incidentId={incident.id} />}
            <a href={`/api/incidents/${incident.id}/report`} className="rounded-md border border-zinc-400 px-3 py-1 text-sm" download>
              Download report (Markdown)
            </a>
            <Link href={`/incidents/${incident.id}/report`} className="rounded-md border border-zinc-400 px-3 py-1 text-sm">
              Printable report
            </Link>
          </div>
          {failing.length > 0 && (
            <p className="mt-3 rounded-md bg-red-100 p-2 text-sm text-red-900 dark:bg-red-950 dark:text-red-200" data-testid="webhook-failing">
              Notifications failing: {failing.map((d) => `${d.event} to ${d.url} (${d.error ?? d.httpStatus})`).join("; ")}
            </p>
          )}
        </header>

        {scenario && (
          <section aria-labelledby="steps-title" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
            <h2 id="steps-title" className="mb-2 font-semibold">
              Runbook scenario {scenario.number}: {scenario.title}
            </h2>
            <p className="mb-2 text-sm">Symptoms: {scenario.symptoms}</p>
            <RunbookSteps
              steps={steps}
              done={done}
              canAct={canAct && incident.status === "open"}
              incidentRef={incident.ref}
              links={
                runbookLinks({ logsUrl: e.RUNBOOK_LOGS_URL, cloudflareUrl: e.RUNBOOK_CLOUDFLARE_URL, brokerStatusUrl: e.RUNBOOK_BROKER_STATUS_URL })[
                  scenario.number
                ]
              }
            />
            {scenario.rollback && <p className="mt-2 text-sm">Rollback plan: {scenario.rollback}</p>}
            <ul className="mt-2 text-sm">
              {scenario.contacts.map((k) => (
                <li key={k}>
                  {contacts[k].role}:{" "}
                  {contacts[k].set ? (
                    [contacts[k].name, contacts[k].phone, contacts[k].email].filter(Boolean).join(" · ")
                  ) : (
                    <span className="text-red-700 dark:text-red-300">not set ({contacts[k].problem})</span>
                  )}
                </li>
              ))}
            </ul>
          </section>
        )}

        {canManage && (
          <section aria-labelledby="manage-title" className="grid gap-4 rounded-lg border border-zinc-200 p-4 sm:grid-cols-2 dark:border-zinc-800">
            <h2 id="manage-title" className="sr-only">
              Manage the incident
            </h2>
            <NoteForm incidentId={incident.id} />
            {incident.status === "open" && <CommanderForm incidentId={incident.id} current={incident.commander} />}
          </section>
        )}

        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title" className="mb-2 font-semibold">
            Timeline
          </h2>
          <ol className="space-y-1 border-l-2 border-zinc-300 pl-4 text-sm dark:border-zinc-700" data-testid="timeline">
            {timeline.map((t) => (
              <li key={t.key} data-kind={t.kind}>
                <span className="mr-2 font-mono text-xs text-zinc-600 dark:text-zinc-400">{time(t.at)}</span>
                {t.text}
              </li>
            ))}
          </ol>
        </section>

        <section aria-labelledby="checklist-title" className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <h2 id="checklist-title" className="mb-2 font-semibold">
            Post-incident checklist
          </h2>
          <ChecklistControls
            incidentId={incident.id}
            items={postIncidentChecklist}
            checklist={effectiveChecklist(incident, runbookUpdated)}
            canManage={canManage}
            links={{
              runbook: {
                href: "/runbook",
                note: runbookUpdated ? `Done: runbook ${describeRunbookVersion(runbookUpdated)} appeared after the incident started.` : undefined,
              },
            }}
          />
        </section>
      </main>
    </Providers>
  );
}
