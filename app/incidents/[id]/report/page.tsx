import type { Metadata } from "next";
import { requestTime } from "@/lib/time";
import { notFound } from "next/navigation";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { readIncident } from "@/lib/recovery/data";
import { draftReport } from "@/lib/recovery/incidents/report";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Incident report" };

/** The drafted report, print-friendly: plain text layout, no navigation, print styles from the browser. */
export default async function ReportPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  await requirePageActor("incidents.read", `/incidents/${id}/report`);
  const found = await readIncident(id);
  if (!found) notFound();
  const { incident } = found;
  const md = draftReport({ ...found, now: requestTime() });
  return (
    <main className="mx-auto max-w-4xl bg-white p-6 text-black print:p-0">
      <p className="mb-4 text-sm print:hidden">
        <a href={`/incidents/${id}`} className="underline">
          Back to {incident.ref}
        </a>{" "}
        · <a href={`/api/incidents/${id}/report`} download className="underline">Download Markdown</a> · use your browser&apos;s Print to save a PDF.
      </p>
      <pre className="whitespace-pre-wrap font-sans text-sm leading-relaxed" data-testid="report">
        {md}
      </pre>
    </main>
  );
}
