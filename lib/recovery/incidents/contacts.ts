import "server-only";
/**
 * The runbook's emergency contacts (on-call engineer, database admin, broker support), from the
 * JSON file at CONTACTS_FILE (see contacts.example.json). A contact still holding the runbook's
 * placeholder ("[Your contact info]", "[DBA contact]", "[MT5 broker support]"), or missing, is
 * flagged as not set, so nobody discovers at 3 a.m. that the number was never filled in.
 * A contact the runbook file fills in ("**Database Admin**: Dana, +44 …") is used when
 * CONTACTS_FILE does not name that contact: the configuration overrides the runbook.
 */
import fs from "node:fs";
import { z } from "zod";
import { env } from "../../env.ts";
import type { ContactKey } from "../runbook/model.ts";
import { currentRunbook } from "../runbook/source.ts";

const contactSchema = z.object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional(), notes: z.string().optional() });
const fileSchema = z.object({ oncall: contactSchema.optional(), dba: contactSchema.optional(), broker: contactSchema.optional() });

export type Contact = {
  key: ContactKey;
  role: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  notes: string | null;
  set: boolean;
  problem?: string;
};

const ROLES: Record<ContactKey, string> = { oncall: "On-Call Engineer", dba: "Database Admin", broker: "Broker Support" };
const PLACEHOLDER = /^\s*\[.*\]\s*$/;

let cache: { at: number; file: string | undefined; runbook: string; value: Record<ContactKey, Contact> } | null = null;

function notSet(key: ContactKey, problem: string): Contact {
  return { key, role: ROLES[key], name: null, phone: null, email: null, notes: null, set: false, problem };
}

export function loadContacts(): Record<ContactKey, Contact> {
  const file = env().CONTACTS_FILE;
  const runbook = currentRunbook();
  if (cache && cache.file === file && cache.runbook === runbook.hash && Date.now() - cache.at < 30_000) return cache.value;
  const fromRunbook = new Map(runbook.runbook.contacts.filter((c) => c.key && !c.placeholder).map((c) => [c.key!, c.value]));
  const keys: ContactKey[] = ["oncall", "dba", "broker"];
  let parsed: z.infer<typeof fileSchema> = {};
  let fileProblem: string | undefined;
  if (!file) fileProblem = "CONTACTS_FILE is not set";
  else {
    try {
      const r = fileSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
      if (r.success) parsed = r.data;
      else fileProblem = `CONTACTS_FILE is not valid: ${r.error.issues[0]?.message}`;
    } catch (err) {
      fileProblem = `cannot read CONTACTS_FILE: ${(err as Error).message}`;
    }
  }
  const value = Object.fromEntries(
    keys.map((key) => {
      const c = parsed[key];
      const inRunbook = fromRunbook.get(key);
      if (!c && inRunbook) return [key, { key, role: ROLES[key], name: inRunbook, phone: null, email: null, notes: "from the runbook file", set: true }];
      if (!c) return [key, notSet(key, fileProblem ?? "not in the contacts file")];
      const fields = [c.name, c.phone, c.email].filter((v): v is string => !!v && v.trim() !== "");
      const real = fields.filter((v) => !PLACEHOLDER.test(v));
      if (!real.length) return [key, { ...notSet(key, "still the runbook's placeholder"), name: c.name ?? null }];
      return [key, { key, role: ROLES[key], name: c.name ?? null, phone: c.phone ?? null, email: c.email ?? null, notes: c.notes ?? null, set: true }];
    }),
  ) as Record<ContactKey, Contact>;
  cache = { at: Date.now(), file, runbook: runbook.hash, value };
  return value;
}
