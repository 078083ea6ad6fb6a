import type { Metadata } from "next";
import { AppHeader } from "@/components/app-header";
import { Providers } from "@/components/providers";
import { CopyButton } from "@/components/runbook/copy-button";
import { RunbookSteps } from "@/components/runbook/runbook-steps";
import { Time } from "@/components/time";
import { env } from "@/lib/env";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { readContacts, readRunbook, readRunbookVersions } from "@/lib/recovery/data";
import { policyFrom } from "@/lib/recovery/incidents/escalation";
import { describeRunbookVersion } from "@/lib/recovery/incidents/report";
import { can } from "@/lib/recovery/access/permissions";
import { postIncidentChecklist, renderSteps, runbookConfig } from "@/lib/recovery/runbook/model";
import { runbookDiff } from "@/lib/recovery/runbook/diff";

export const metadata: Metadata = { title: "Runbook" };
export const dynamic = "force-dynamic";

const box = "rounded-lg border border-zinc-200 p-4 dark:border-zinc-800";

/**
 * The team's runbook file as the console follows it (RUNBOOK_FILE, reloaded on change): its
 * version and the diff from the previous one, the emergency contacts, each scenario with commands
 * filled in from configuration, the escalation procedure, the monitoring queries, the
 * post-incident list, and any section the console does not know, shown as written.
 */
export default async function RunbookPage() {
  const actor = await requirePageActor("health.read", "/runbook");
  const e = env();
  const config = runbookConfig({ tradingDatabaseUrl: e.TRADING_DATABASE_URL, tradeDirectorUrl: e.TRADE_DIRECTOR_URL });
  const [contactMap, { current, error }, versions] = await Promise.all([readContacts(), readRunbook(), readRunbookVersions()]);
  const contacts = Object.values(contactMap);
  const rb = current.runbook;
  const canAct = can(actor.role, "actions.execute");
  const policy = policyFrom(e, rb.escalation);
  const levelText = (level: 1 | 2 | 3, fallback: string) => rb.escalation.find((l) => l.level === level)?.text ?? fallback;
  // The previous version: the one recorded just before the version in force.
  const at = versions ? versions.findIndex((v) => v.hash === current.hash) : -1;
  const previous = versions && at >= 0 ? versions[at + 1] : undefined;
  const hunks = previous ? runbookDiff(previous.content, current.markdown) : [];
  return (
    <Providers>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-5xl space-y-6 p-4">
        <h1 className="text-xl font-semibold">{rb.title}</h1>
        <section aria-labelledby="version-title" className={box} data-testid="runbook-version" data-hash={current.hash}>
          <h2 id="version-title" className="font-semibold">
            Version {describeRunbookVersion(current)}
          </h2>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Read from the runbook file {can(actor.role, "runbook.problems") ? <code className="font-mono text-xs">{current.file}</code> : null} at{" "}
            <Time iso={current.loadedAt} />; checked every {e.RUNBOOK_RELOAD_SECONDS} s. Edit the file and the console follows.
          </p>
          {error && can(actor.role, "runbook.problems") && (
            <p className="mt-2 text-sm font-semibold text-red-700 dark:text-red-300">
              The file now on disk does not load, so this is the last good version: {error.problems.map((p) => `line ${p.line}: ${p.message}`).join("; ")}
            </p>
          )}
          {versions === null ? (
            <p className="mt-2 text-sm">Version history unavailable (the console store does not answer).</p>
          ) : previous ? (
            <details className="mt-2" open data-testid="runbook-diff">
              <summary className="cursor-pointer text-sm font-medium">Changes from the previous version {describeRunbookVersion(previous)}</summary>
              <div
                className="mt-2 overflow-x-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900"
                tabIndex={0}
                role="region"
                aria-label="Changes from the previous version"
              >
                {hunks.map((h, i) => (
                  <div key={i} className="mb-2">
                    <div className="text-zinc-600 dark:text-zinc-400">
                      @@ line {h.oldStart} → {h.newStart} @@
                    </div>
                    {h.lines.map((l, j) => (
                      <div
                        key={j}
                        data-kind={l.kind}
                        className={`whitespace-pre ${l.kind === "added" ? "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200" : l.kind === "removed" ? "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200" : ""}`}
                      >
                        {l.kind === "added" ? "+ " : l.kind === "removed" ? "- " : "  "}
                        {l.text}
                      </div>
                    ))}
                  </div>
                ))}
              </div>
            </details>
          ) : (
            <p className="mt-2 text-sm">This is the first version the console has recorded.</p>
          )}
        </section>
        <section aria-labelledby="contacts-title" className={box}>
          <h2 id="contacts-title" className="mb-2 font-semibold">
            Emergency contacts
          </h2>
          <ul className="text-sm" data-testid="contacts">
            {contacts.map((c) => (
              <li key={c.key}>
                <span className="font-medium">{c.role}:</span>{" "}
                {c.set ? (
                  [c.name, c.phone, c.email, c.notes].filter(Boolean).join(" · ")
                ) : (
                  <span className="font-semibold text-red-700 dark:text-red-300">not set ({c.problem})</span>
                )}
              </li>
            ))}
          </ul>
        </section>
        {rb.scenarios.map((s) => (
          <section key={s.number} id={s.slug} aria-labelledby={`${s.slug}-title`} className={box} data-testid="runbook-scenario">
            <h2 id={`${s.slug}-title`} className="font-semibold">
              {s.number}. {s.title}
            </h2>
            <p className="mt-1 text-sm">
              <span className="font-medium">Symptoms:</span> {s.symptoms}{" "}
              <span className="text-zinc-600 dark:text-zinc-400">(checks: {s.checkIds.join(", ") || "none"})</span>
            </p>
            <h3 className="mt-2 text-sm font-medium">Recovery steps</h3>
            <RunbookSteps steps={renderSteps(s, config)} done={new Set()} canAct={canAct} />
            {s.rollback && (
              <p className="mt-2 text-sm">
                <span className="font-medium">Rollback plan:</span> {s.rollback}
                {s.rollbackAction && (
                  <span className="ml-2 text-xs uppercase tracking-wide text-zinc-600 dark:text-zinc-400">console action: {s.rollbackAction}</span>
                )}
              </p>
            )}
            {s.prevention && (
              <p className="mt-1 text-sm">
                <span className="font-medium">Prevention:</span> {s.prevention}
              </p>
            )}
            {s.extra?.map((x, i) => (
              <p key={i} className="mt-1 text-sm" data-testid="runbook-extra">
                {x.label && <span className="font-medium">{x.label}:</span>} {x.text}
              </p>
            ))}
          </section>
        ))}
        <section className={box}>
          <h2 className="font-semibold">Escalation procedure</h2>
          <ol className="mt-1 list-decimal pl-6 text-sm" data-testid="escalation">
            <li>
              Level 1 (0-{policy.l2Minutes} min): {levelText(1, "Automated recovery, check runbook")}
            </li>
            <li>
              Level 2 ({policy.l2Minutes}-{policy.l3Minutes} min): {levelText(2, "Engage on-call engineer")}
            </li>
            <li>
              Level 3 ({policy.l3Minutes}+ min): {levelText(3, "Halt trading, notify stakeholders")}
            </li>
          </ol>
          {(e.ESCALATION_L2_MINUTES !== undefined || e.ESCALATION_L3_MINUTES !== undefined) && (
            <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
              Times set by ESCALATION_L2_MINUTES / ESCALATION_L3_MINUTES, which override the runbook file.
            </p>
          )}
          <h2 className="mt-3 font-semibold">Post-incident</h2>
          <ol className="mt-1 list-decimal pl-6 text-sm">
            {(rb.postIncident.length ? rb.postIncident : postIncidentChecklist.map((c) => c.text)).map((t, i) => (
              <li key={i}>{t}</li>
            ))}
          </ol>
        </section>
        {rb.monitoringQueries.length > 0 && (
          <section className={box}>
            <h2 className="font-semibold">Monitoring queries</h2>
            {rb.monitoringQueries.map((q, i) => (
              <div key={i} className="mt-2">
                <h3 className="text-sm font-medium">{q.title}</h3>
                <div className="mt-1 flex items-start gap-2">
                  <code className="block min-w-0 max-w-full whitespace-pre-wrap break-all rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-800">
                    {q.sql}
                  </code>
                  <CopyButton text={q.sql} />
                </div>
              </div>
            ))}
          </section>
        )}
        {rb.unknownSections.map((u) => (
          <section key={`${u.line}-${u.title}`} className={box} data-testid="runbook-unknown-section">
            <h2 className="font-semibold">{u.title}</h2>
            <p className="text-xs text-zinc-600 dark:text-zinc-400">A section the console does not act on, shown as the file writes it.</p>
            <div className="mt-1 whitespace-pre-wrap text-sm">{u.text}</div>
          </section>
        ))}
        {rb.lastUpdated || rb.owner ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Last Updated {rb.lastUpdated ?? "—"} · Owner {rb.owner ?? "—"}
          </p>
        ) : null}
      </main>
    </Providers>
  );
}
