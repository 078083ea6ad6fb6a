import { requestMetaFrom } from "@/lib/auth/request-meta";
import { withPermission } from "@/lib/recovery/access/authz";
import { EXPORT_FORMATS, type ExportFormat } from "@/lib/recovery/audit/export";
import { readAuditExport } from "@/lib/recovery/data";
import { parseAuditFilters } from "@/lib/recovery/audit/filters";

export const dynamic = "force-dynamic";

/**
 * `GET /api/audit/export?format=csv|ndjson&<the audit view's filters>`: the filtered audit trail,
 * streamed (lib/recovery/audit/export.ts). Permission audit.export (auditor, admin); every export
 * is itself an audit entry.
 */
export const GET = withPermission(
  "audit.export",
  async (request) => {
    const url = new URL(request.url);
    const format = (url.searchParams.get("format") ?? "csv") as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) {
      return Response.json({ error: { code: "export.format", message: "format must be csv or ndjson" } }, { status: 400 });
    }
    const { filters, errors } = parseAuditFilters(url.searchParams);
    if (errors.length) {
      return Response.json({ error: { code: "export.filters", message: errors.join("; ") } }, { status: 400 });
    }
    return readAuditExport({ request: requestMetaFrom(request.headers, url.pathname), filters, format }, { request });
  },
  { action: "audit.export" },
);
