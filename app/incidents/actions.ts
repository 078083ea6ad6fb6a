"use server";
/**
 * Incident server actions: thin exports through the one wrapper (lib/actions/mutation.ts), which
 * checks incidents.manage, parses the input and answers every failure in one shape. The service
 * (lib/recovery/incidents/service.ts) audits each change with the change.
 */
import { revalidatePath } from "next/cache";
import { defineMutation, fail, type ActionResult } from "@/lib/actions/mutation";
import {
  acknowledge,
  addNote,
  checklistSchema,
  commanderSchema,
  idSchema,
  IncidentError,
  noteSchema,
  setChecklistItem,
  setCommander,
} from "@/lib/recovery/incidents/service";

const incidentErrors = (err: unknown) => (err instanceof IncidentError ? fail(err.code, err.message) : undefined);

function saved(): ActionResult {
  revalidatePath("/incidents", "layout");
  return { ok: true, result: null, message: "Saved." };
}

const spec = { access: "incidents.manage", path: "/incidents", errors: incidentErrors } as const;

export const acknowledgeIncidentAction = defineMutation({ ...spec, name: "incident.acknowledge", input: idSchema }, async (i, { actor, request }) => {
  await acknowledge(i.incidentId, actor, request);
  return saved();
});

export const addIncidentNoteAction = defineMutation(
  { ...spec, name: "incident.note", input: noteSchema, args: "form-state" },
  async (i, { actor, request }) => {
    await addNote(i, actor, request);
    return saved();
  },
);

export const setIncidentCommanderAction = defineMutation(
  { ...spec, name: "incident.commander", input: commanderSchema, args: "form-state" },
  async (i, { actor, request }) => {
    await setCommander(i, actor, request);
    return saved();
  },
);

export const setChecklistItemAction = defineMutation({ ...spec, name: "incident.checklist", input: checklistSchema }, async (i, { actor, request }) => {
  await setChecklistItem(i, actor, request);
  return saved();
});
