import type { Metadata } from "next";
import { requestTime } from "@/lib/time";
import Link from "next/link";
import { Time } from "@/components/time";
import { AppHeader } from "@/components/app-header";
import { readIncidents } from "@/lib/recovery/data";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { formatDuration } from "@/lib/recovery/incidents/escalation";
import { incidentTimes } from "@/lib/recovery/incidents/report";

export const metadata: Metadata = { title: "Incidents" };
export const dynamic = "force-dynamic";

export default async function IncidentsPage() {
  const actor = await requirePageActor("incidents.read", "/incidents");
  const incidents = await readIncidents();
  const now = requestTime();
  return (
    <>
      <AppHeader actor={actor} />
      <main className="mx-auto max-w-7xl p-4">
        <h1 className="mb-4 text-xl font-semibold">Incidents</h1>
        {incidents.length === 0 ? (
          <p>No incident has been recorded. The evaluator opens one when a check turns critical.</p>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
            <table className="w-full text-left text-sm">
              <thead className="bg-zinc-100 dark:bg-zinc-800">
                <tr>
                  {["Incident", "Scenario", "Status", "Started", "Duration", "Level reached", "Time to acknowledge", "Time to resolve"].map((h) => (
                    <th key={h} scope="col" className="px-3 py-2 font-semibold">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {incidents.map((i) => {
                  const t = incidentTimes(i, now);
                  return (
                    <tr key={i.id} className="border-t border-zinc-200 dark:border-zinc-800">
                      <td className="px-3 py-2">
                        <Link href={`/incidents/${i.id}`} className="font-medium text-sky-700 underline dark:text-sky-400">
                          {i.ref}
                        </Link>
                      </td>
                      <td className="px-3 py-2">
                        {i.scenario}. {i.title.split(":")[0]}
                      </td>
                      <td className="px-3 py-2">
                        {i.status === "open" ? <span className="font-semibold text-red-700 dark:text-red-300">open</span> : "resolved"}
                      </td>
                      <td className="px-3 py-2">
                        <Time iso={i.startedAt} />
                      </td>
                      <td className="px-3 py-2">{formatDuration(t.durationMs)}</td>
                      <td className="px-3 py-2">L{i.maxLevel}</td>
                      <td className="px-3 py-2">{t.acknowledgeMs === null ? "—" : formatDuration(t.acknowledgeMs)}</td>
                      <td className="px-3 py-2">{t.recoverMs === null ? "—" : formatDuration(t.recoverMs)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </main>
    </>
  );
}
