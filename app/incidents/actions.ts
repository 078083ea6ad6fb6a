"use server";
/** Incident server actions: thin exports; authorization and audit happen on the server, every time. */
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { requestMetaFrom } from "@/lib/auth/request-meta";
import { AuthzError, requirePermission } from "@/lib/recovery/authz";
import { acknowledge, addNote, checklistSchema, commanderSchema, idSchema, IncidentError, noteSchema, setChecklistItem, setCommander } from "@/lib/recovery/incidents/service";

export type IncidentActionState = { ok: boolean; code?: string; message?: string; errors?: Record<string, string[]> };

async function run<S extends z.ZodType>(action: string, schema: S, raw: unknown, fn: (input: z.infer<S>, actor: Awaited<ReturnType<typeof requirePermission>>, meta: ReturnType<typeof requestMetaFrom>) => Promise<unknown>): Promise<IncidentActionState> {
  let actor;
  try {
    actor = await requirePermission("incidents.manage", { action });
  } catch (err) {
    if (err instanceof AuthzError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
  const parsed = schema.safeParse(raw instanceof FormData ? Object.fromEntries(raw) : raw);
  if (!parsed.success) {
    const errors: Record<string, string[]> = {};
    for (const i of parsed.error.issues) (errors[i.path.join(".") || "form"] ??= []).push(i.message);
    return { ok: false, code: "input", message: "Some fields need attention.", errors };
  }
  try {
    await fn(parsed.data, actor, requestMetaFrom(await headers(), "/incidents"));
  } catch (err) {
    if (err instanceof IncidentError) return { ok: false, code: err.code, message: err.message };
    console.error(`[incidents] ${action} failed:`, err);
    return { ok: false, code: "incident.unavailable", message: "The console store could not record this; try again." };
  }
  revalidatePath("/incidents", "layout");
  return { ok: true, message: "Saved." };
}

export async function acknowledgeIncidentAction(input: unknown): Promise<IncidentActionState> {
  return run("incident.acknowledge", idSchema, input, (i, actor, meta) => acknowledge(i.incidentId, actor, meta));
}

export async function addIncidentNoteAction(_prev: IncidentActionState, form: FormData): Promise<IncidentActionState> {
  return run("incident.note", noteSchema, { incidentId: form.get("incidentId"), text: form.get("text"), public: form.get("public") === "on" }, (i, actor, meta) => addNote(i, actor, meta));
}

export async function setIncidentCommanderAction(_prev: IncidentActionState, form: FormData): Promise<IncidentActionState> {
  return run("incident.commander", commanderSchema, form, (i, actor, meta) => setCommander(i, actor, meta));
}

export async function setChecklistItemAction(input: unknown): Promise<IncidentActionState> {
  return run("incident.checklist", checklistSchema, input, (i, actor, meta) => setChecklistItem(i, actor, meta));
}
