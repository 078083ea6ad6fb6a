import type { Metadata } from "next";
import { requestTime } from "@/lib/time";
import { notFound } from "next/navigation";
import { LocalizedHtml } from "@/components/time";
import { requirePageActor } from "@/lib/recovery/access/authz";
import { readIncident } from "@/lib/recovery/data";
import { draftReport } from "@/lib/recovery/incidents/report";
import { reportHtml } from "@/lib/recovery/incidents/report-html";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Incident report" };

/** The drafted report rendered from its Markdown, print-friendly: no navigation, print styles from the browser. */
export default async function ReportPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  await requirePageActor("incidents.read", `/incidents/${id}/report`);
  const found = await readIncident(id);
  if (!found) notFound();
  const { incident } = found;
  const md = draftReport({ ...found, now: requestTime() });
  return (
    <main className="mx-auto max-w-4xl bg-white p-6 text-zinc-950 print:p-0">
      <p className="mb-4 text-sm print:hidden">
        <a href={`/incidents/${id}`} className="underline">
          Back to {incident.ref}
        </a>{" "}
        ·{" "}
        <a href={`/api/incidents/${id}/report`} download className="underline">
          Download Markdown
        </a>{" "}
        · use your browser&apos;s Print to save a PDF.
      </p>
      {/* HTML from lib/recovery/incidents/report-html.ts, which drops any raw HTML in the Markdown. */}
      <LocalizedHtml className="report text-sm leading-relaxed" testId="report" html={reportHtml(md)} />
    </main>
  );
}
