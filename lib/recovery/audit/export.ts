import "server-only";
/**
 * `GET /api/audit/export`: the filtered audit trail as CSV or NDJSON, streamed.
 *
 * - Streaming: a cursor feeds a pull-based ReadableStream one batch per pull, so memory is
 *   bounded by the batch size whatever the size of the log, and a slow client slows the cursor
 *   rather than filling the server's memory.
 * - Audited like an action: an `audit.export` intent is written before the first byte (no entry,
 *   no export), its outcome after the last (succeeded with the row count, failed, or partial when
 *   the client stopped reading). A refused export (too many running) is an entry too.
 * - A snapshot: the rows are those committed when the export opened (one repeatable-read
 *   transaction), which is just before its own intent entry.
 * - NDJSON keeps every hashed field with seq, prev_hash and hash (format in export-format.ts), so
 *   `npm run audit:verify -- --file export.ndjson` can verify it offline. CSV is for reading:
 *   cells that a spreadsheet would run as a formula (= + - @) are prefixed with ' (csv-stringify's
 *   escape_formulas; OWASP "CSV injection"); use the NDJSON where the bytes matter.
 */
import { stringify } from "csv-stringify/sync";
import { DbError } from "../../db/errors.ts";
import { AuditBusyError, getGenesis, openAuditCursor, type AuditCursor } from "../../db/queries/audit.ts";
import { appendAudit, type AuditActor, type AuditRecord, type RequestMeta } from "./writer.ts";
import { auditRefusal } from "./fold.ts";
import { EXPORT_COLUMNS, EXPORT_FORMAT, EXPORT_VERSION, toExportRow, type ExportHeader } from "./export-format.ts";
import { hasFilters, type AuditFilters } from "./filters.ts";

export type ExportFormat = "csv" | "ndjson";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["csv", "ndjson"];

/** The longest an export may take (the client's pace included). */
export const EXPORT_DEADLINE_MS = 15 * 60_000;

const CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

function problem(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

function csvChunk(records: AuditRecord[], header: boolean): string {
  return stringify(
    records.map((r) => toExportRow(r)),
    { header, columns: [...EXPORT_COLUMNS], escape_formulas: true },
  );
}

export async function exportAudit(opts: {
  actor: AuditActor;
  request: RequestMeta;
  filters: AuditFilters;
  format: ExportFormat;
  /** Rows per cursor fetch (and per chunk of the response). */
  batch?: number;
}): Promise<Response> {
  const { actor, request, filters, format } = opts;
  const params = { format, filters };
  let cursor: AuditCursor;
  try {
    cursor = await openAuditCursor({ filters, batch: opts.batch ?? 1000, deadlineMs: EXPORT_DEADLINE_MS });
  } catch (err) {
    if (err instanceof AuditBusyError) {
      await auditRefusal({ actor, action: "audit.export", outcome: "throttled", params, detail: { message: err.message }, request }, "busy").catch((e) =>
        console.error("[audit-export] could not audit a throttled export:", e),
      );
      return problem(429, err.code, err.message, { "Retry-After": "10" });
    }
    console.error("[audit-export] could not open the export:", err);
    return problem(
      503,
      err instanceof DbError ? err.code : "export.unavailable",
      err instanceof DbError ? err.publicMessage : "The export could not start; try again.",
    );
  }

  let intent: AuditRecord;
  let genesis: { id: string; hash: string } | null;
  try {
    genesis = await getGenesis();
    intent = await appendAudit({ actor, action: "audit.export", phase: "intent", outcome: "pending", params, request });
  } catch (err) {
    // No entry, no export.
    console.error("[audit-export] could not write the export's audit entry; not exporting:", err);
    await cursor.close();
    return problem(503, "audit.unavailable", "The export could not be recorded in the audit log, so nothing was exported. Try again.");
  }

  const started = performance.now();
  const exportedAt = new Date().toISOString();
  let rows = 0;
  let bytes = 0;
  let headerSent = false;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const encoder = new TextEncoder();

  const settle = async (outcome: "succeeded" | "failed" | "partial", extra: Record<string, unknown> = {}) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    await cursor.close();
    try {
      await appendAudit({
        actor,
        action: "audit.export",
        phase: "outcome",
        intentSeq: intent.seq,
        outcome,
        params,
        detail: { rows, bytes, durationMs: Math.round(performance.now() - started), ...extra },
        request,
      });
    } catch (err) {
      // The intent stays without an outcome: the audit view flags it "outcome unknown".
      console.error("[audit-export] could not write the export's outcome:", err);
    }
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        timer = setTimeout(() => {
          controller.error(new Error(`the export took longer than ${EXPORT_DEADLINE_MS / 60_000} minutes`));
          void settle("failed", { error: "deadline exceeded" });
        }, EXPORT_DEADLINE_MS);
        timer.unref();
      },
      async pull(controller) {
        const send = (text: string) => {
          const chunk = encoder.encode(text);
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        };
        try {
          if (format === "ndjson" && !headerSent) {
            headerSent = true;
            const header: ExportHeader = {
              format: EXPORT_FORMAT,
              version: EXPORT_VERSION,
              exportedAt,
              exportedBy: actor.email ?? null,
              complete: !hasFilters(filters),
              filters: filters as Record<string, string>,
              intentSeq: intent.seq,
              chain: genesis,
            };
            send(`${JSON.stringify(header)}\n`);
            return;
          }
          const next = await cursor.batches.next();
          if (settled) return;
          if (next.done) {
            if (format === "ndjson") send(`${JSON.stringify({ end: true, entries: rows })}\n`);
            else if (!headerSent) send(csvChunk([], true));
            await settle("succeeded");
            controller.close();
            return;
          }
          const batch = next.value;
          rows += batch.length;
          if (format === "ndjson") send(batch.map((r) => `${JSON.stringify(toExportRow(r))}\n`).join(""));
          else send(csvChunk(batch, !headerSent));
          headerSent = true;
        } catch (err) {
          console.error("[audit-export] the export failed:", err);
          await settle("failed", { error: err instanceof DbError ? err.code : err instanceof Error ? err.message : String(err) });
          controller.error(err);
        }
      },
      async cancel() {
        await settle("partial", { aborted: "the client stopped reading" });
      },
    },
    // Nothing read ahead of the client beyond the chunk being sent.
    { highWaterMark: 0 },
  );

  const stamp = exportedAt.replace(/[:.]/g, "-");
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": CONTENT_TYPE[format],
      "Content-Disposition": `attachment; filename="audit-${stamp}.${format}"`,
      "Cache-Control": "no-store",
      "X-Audit-Export-Seq": String(intent.seq),
    },
  });
}
