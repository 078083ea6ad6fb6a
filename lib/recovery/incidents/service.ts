import "server-only";
/**
 * What people do with an incident: acknowledge ("I'm on it"), add notes (public ones reach the
 * stakeholder status page), assign a commander, tick the post-incident checklist. Each change and
 * its audit entry commit in one transaction in the console store.
 */
import { z } from "zod";
import { text } from "../../validation/text.ts";
import { withConsole, type Sql } from "../../db/client.ts";
import { addIncidentEvent, incidentRef, toIncident, type IncidentRow } from "../../db/queries/incidents.ts";
import { appendAudit, type RequestMeta } from "../audit/writer.ts";
import type { Actor } from "../access/authz.ts";
import { postIncidentChecklist } from "../runbook/model.ts";
import { notify } from "./notify.ts";

/** A yes/no from JSON (true/false) or a form ("true", "false", "on"); z.coerce.boolean would read "false" as true. */
const flag = z.union([z.boolean(), z.enum(["true", "false", "on"]).transform((v) => v !== "false")], { error: "Expected true or false." });

export const noteSchema = z.object({
  incidentId: z.coerce.number().int().positive(),
  text: text().trim().min(1, "Write the note.").max(4000, "Keep the note under 4000 characters."),
  public: flag.default(false),
});
export const commanderSchema = z.object({
  incidentId: z.coerce.number().int().positive(),
  commander: text().trim().min(1, "Name the incident commander.").max(200),
});
export const checklistSchema = z.object({
  incidentId: z.coerce.number().int().positive(),
  item: z.enum(postIncidentChecklist.map((c) => c.key) as [string, ...string[]]),
  done: flag,
});
export const idSchema = z.object({ incidentId: z.coerce.number().int().positive() });

export class IncidentError extends Error {
  constructor(
    public readonly code: "incident.not_found" | "incident.resolved",
    message: string,
  ) {
    super(message);
    this.name = "IncidentError";
  }
}

async function change<T>(
  incidentId: number,
  fn: (tx: Sql, inc: IncidentRow) => Promise<T>,
  opts: { allowResolved?: boolean } = {},
): Promise<{ value: T; incident: IncidentRow }> {
  return withConsole(
    (sql) =>
      sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const [row] = await t`select * from console.incidents where id = ${incidentId} for update`;
        if (!row) throw new IncidentError("incident.not_found", `There is no incident ${incidentRef(incidentId)}.`);
        const inc = toIncident(row as never);
        if (inc.status === "resolved" && !opts.allowResolved) throw new IncidentError("incident.resolved", `${inc.ref} is already resolved.`);
        const value = await fn(t, inc);
        const [after] = await t`select * from console.incidents where id = ${incidentId}`;
        return { value, incident: toIncident(after as never) };
      }) as Promise<{ value: T; incident: IncidentRow }>,
    { timeoutMs: 10_000 },
  );
}

export async function acknowledge(incidentId: number, actor: Actor, request: RequestMeta): Promise<IncidentRow> {
  const { incident, value: changed } = await change(incidentId, async (tx, inc) => {
    if (inc.acknowledgedAt) return false;
    await tx`update console.incidents set acknowledged_at = now(), acknowledged_by = ${actor.email} where id = ${incidentId}`;
    await addIncidentEvent(tx, { incidentId, kind: "acknowledged", actor: actor.email, data: { message: "I'm on it" } });
    await appendAudit({ actor, action: "incident.acknowledge", outcome: "succeeded", incidentRef: inc.ref, request }, { tx });
    return true;
  });
  if (changed) notify("acknowledged", incident);
  return incident;
}

export async function addNote(raw: z.input<typeof noteSchema>, actor: Actor, request: RequestMeta): Promise<IncidentRow> {
  // Parsed here too, not only in the server action: every caller gets the same rules.
  const input = noteSchema.parse(raw);
  const { incident } = await change(
    input.incidentId,
    async (tx, inc) => {
      await addIncidentEvent(tx, { incidentId: inc.id, kind: "note", actor: actor.email, public: input.public, data: { text: input.text } });
      await appendAudit(
        { actor, action: "incident.note", outcome: "succeeded", incidentRef: inc.ref, params: { public: input.public, text: input.text }, request },
        { tx },
      );
    },
    { allowResolved: true },
  );
  return incident;
}

export async function setCommander(raw: z.input<typeof commanderSchema>, actor: Actor, request: RequestMeta): Promise<IncidentRow> {
  const input = commanderSchema.parse(raw);
  const { incident } = await change(input.incidentId, async (tx, inc) => {
    await tx`update console.incidents set commander = ${input.commander} where id = ${inc.id}`;
    await addIncidentEvent(tx, { incidentId: inc.id, kind: "commander", actor: actor.email, data: { commander: input.commander, previous: inc.commander } });
    await appendAudit(
      { actor, action: "incident.commander", outcome: "succeeded", incidentRef: inc.ref, params: { commander: input.commander }, request },
      { tx },
    );
  });
  return incident;
}

export async function setChecklistItem(raw: z.input<typeof checklistSchema>, actor: Actor, request: RequestMeta): Promise<IncidentRow> {
  const input = checklistSchema.parse(raw);
  const { incident } = await change(
    input.incidentId,
    async (tx, inc) => {
      await tx`update console.incidents set checklist = checklist || ${tx.json({ [input.item]: input.done })} where id = ${inc.id}`;
      await addIncidentEvent(tx, { incidentId: inc.id, kind: "checklist", actor: actor.email, data: { item: input.item, done: input.done } });
      await appendAudit(
        { actor, action: "incident.checklist", outcome: "succeeded", incidentRef: inc.ref, params: { item: input.item, done: input.done }, request },
        { tx },
      );
    },
    { allowResolved: true },
  );
  return incident;
}
