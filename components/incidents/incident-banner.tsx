"use client";
import { useQuery } from "@tanstack/react-query";
import type { CurrentIncidents } from "@/lib/recovery/incidents/view";
import { formatClock, formatDuration } from "@/lib/recovery/incidents/escalation";
import { IncidentAutomation } from "../automation/panel-automation";
import { fetchJson } from "../data/fetch-json";
import { useLiveStream } from "../data/live-stream";
import { keys } from "../data/keys";
import { Link } from "../deferred-link";
import { clientOnly } from "../lazy";
import { Time } from "../time";
import { useNow } from "../use-now";

// Only on-call with an open incident use these: their code loads after the first paint.
const AcknowledgeButton = clientOnly(() => import("./incident-controls").then((m) => m.AcknowledgeButton));
const HaltTradingButton = clientOnly(() => import("../actions/halt-trading-button").then((m) => m.HaltTradingButton));

type Current = CurrentIncidents;

const fetchCurrent = (signal: AbortSignal) => fetchJson<Current>("/api/incidents/current", signal);

const tone = {
  1: "border-amber-500 bg-amber-50 dark:bg-amber-950/50",
  2: "border-orange-600 bg-orange-50 dark:bg-orange-950/50",
  3: "border-red-700 bg-red-50 dark:bg-red-950/60",
} as const;

/**
 * The escalation banner: incident, scenario, elapsed time counting live, the level and what it
 * asks for, and the time left to the next level. The clock runs in the browser from the server's
 * start time, corrected by the server's clock.
 */
export function IncidentBanner({ initial, canManage, canAct }: { initial: Current | null; canManage: boolean; canAct: boolean }) {
  // Pushed by the live stream (components/data/live-stream.ts) while it delivers; polled otherwise.
  const stream = useLiveStream();
  const { data, dataUpdatedAt } = useQuery({
    queryKey: keys.incidents(),
    queryFn: ({ signal }) => fetchCurrent(signal),
    initialData: initial ?? undefined,
    refetchInterval: () => (stream.delivers("incidents") ? false : 5000),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: () => !stream.delivers("incidents"),
  });
  const now = useNow(1000);
  if (!data?.incidents.length) return null;
  // Server clock minus browser clock, so a skewed laptop still shows the right elapsed time.
  const skew = Date.parse(data.now) - dataUpdatedAt;
  return (
    <div className="mb-4 space-y-2">
      {data.incidents.map((i) => {
        const elapsed = now + skew - Date.parse(i.startedAt);
        const l2 = i.elapsedMs + (i.nextLevelInMs ?? 0);
        const toNext = i.nextLevelInMs === null ? null : Math.max(0, l2 - elapsed);
        return (
          <section
            key={i.id}
            role="region"
            aria-label={`Incident ${i.ref}`}
            data-testid="incident-banner"
            data-level={i.currentLevel}
            className={`rounded-lg border-l-8 p-4 shadow-sm ${tone[i.currentLevel]}`}
          >
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h2 className="text-lg font-bold">
                <Link href={`/incidents/${i.id}`} className="underline">
                  {i.ref}
                </Link>{" "}
                {i.scenarioTitle}
              </h2>
              <span className="font-mono text-2xl font-bold tabular-nums" aria-label={`elapsed ${formatDuration(elapsed)}`} suppressHydrationWarning>
                {formatClock(elapsed)}
              </span>
            </div>
            <p className="mt-1 text-sm">
              Runbook scenario {i.scenario} · started <Time iso={i.startedAt} style="clock-seconds" />
              {i.acknowledgedBy ? ` · acknowledged by ${i.acknowledgedBy}` : " · not acknowledged"}
              {i.commander ? ` · commander ${i.commander}` : ""}
            </p>
            <p className="mt-2 font-semibold" data-testid="incident-level">
              Level {i.currentLevel}: {i.asks.replace(/^L\d: /, "")}
              {toNext !== null && (
                <span className="font-normal" suppressHydrationWarning>
                  {" "}
                  · L{i.currentLevel + 1} in {formatDuration(toNext)}
                </span>
              )}
            </p>
            <IncidentAutomation incidentId={i.id} now={now} />
            {i.currentLevel === 3 && !data.haltConfigured && (
              <p className="mt-1 text-sm font-semibold" data-testid="halt-manual">
                Halt trading by hand (TRADE_DIRECTOR_HALT_URL is not configured), then notify stakeholders.
              </p>
            )}
            {i.oncallContact && (
              <p className="mt-1 text-sm" data-testid="oncall-contact">
                On-call engineer:{" "}
                {i.oncallContact.set ? (
                  <>
                    {i.oncallContact.name} {i.oncallContact.phone && <a href={`tel:${i.oncallContact.phone}`}>{i.oncallContact.phone}</a>}{" "}
                    {i.oncallContact.email}
                  </>
                ) : (
                  <span className="font-semibold text-red-700 dark:text-red-300">not set ({i.oncallContact.problem})</span>
                )}
              </p>
            )}
            {/* At L3 the runbook asks to halt trading: it comes first and stands out. */}
            {canAct && data.haltConfigured && i.currentLevel === 3 && (
              <div className="mt-2">
                <HaltTradingButton incidentRef={i.ref} prominent />
              </div>
            )}
            <div className="mt-2 flex flex-wrap items-start gap-2">
              {canManage && !i.acknowledgedAt && <AcknowledgeButton incidentId={i.id} />}
              <Link href={`/incidents/${i.id}`} className="rounded-md border border-zinc-400 px-3 py-1 text-sm">
                Timeline and runbook
              </Link>
              {/* Before L3 halting is not what the runbook asks: kept apart, behind a secondary control. */}
              {canAct && data.haltConfigured && i.currentLevel < 3 && (
                <details className="ml-auto text-sm" data-testid="more-actions">
                  <summary className="cursor-pointer rounded-md px-2 py-1 underline">More actions</summary>
                  <div className="mt-1 space-y-1 rounded-md border border-zinc-300 bg-white p-2 dark:border-zinc-600 dark:bg-zinc-900">
                    <p className="max-w-xs text-xs">The runbook halts trading at level 3. Before that, a second on-call must approve.</p>
                    <HaltTradingButton incidentRef={i.ref} prominent={false} />
                  </div>
                </details>
              )}
            </div>
          </section>
        );
      })}
    </div>
  );
}
