import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reloadEnv } from "@/lib/env";
import { loadContacts } from "@/lib/recovery/incidents/contacts";
import { resetRunbookSource } from "@/lib/recovery/runbook/source";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-contacts-"));
let n = 0;
function withFile(content: unknown): void {
  const file = path.join(dir, `contacts-${n++}.json`);
  fs.writeFileSync(file, JSON.stringify(content));
  process.env.CONTACTS_FILE = file;
  reloadEnv();
}

afterEach(() => {
  delete process.env.CONTACTS_FILE;
  delete process.env.RUNBOOK_FILE;
  reloadEnv();
  resetRunbookSource();
});

describe("emergency contacts", () => {
  it("flags the runbook's placeholders as not set", () => {
    withFile(JSON.parse(fs.readFileSync("contacts.example.json", "utf8")));
    const c = loadContacts();
    expect(c.oncall).toMatchObject({ set: false, problem: "still the runbook's placeholder" });
    expect(c.dba.set).toBe(false);
    expect(c.broker.set).toBe(false);
  });

  it("accepts real contacts and flags missing ones", () => {
    withFile({ oncall: { name: "Ana Ops", phone: "+44 20 7946 0000" }, dba: { name: "[DBA contact]" } });
    const c = loadContacts();
    expect(c.oncall).toMatchObject({ set: true, name: "Ana Ops", phone: "+44 20 7946 0000", role: "On-Call Engineer" });
    expect(c.dba.set).toBe(false);
    expect(c.broker).toMatchObject({ set: false, problem: "not in the contacts file" });
  });

  it("takes a contact the runbook file fills in, unless CONTACTS_FILE names that contact", () => {
    const runbook = path.join(dir, `runbook-${n++}.md`);
    fs.writeFileSync(
      runbook,
      fs
        .readFileSync("runbook/recovery-runbook.md", "utf8")
        .replace("**Database Admin**: [DBA contact]", "**Database Admin**: Dana Smith, +44 20 7946 0001")
        .replace("**On-Call Engineer**: [Your contact info]", "**On-Call Engineer**: from the runbook"),
    );
    process.env.RUNBOOK_FILE = runbook;
    resetRunbookSource();
    withFile({ oncall: { name: "Ana Ops", phone: "+44 20 7946 0000" } });
    const c = loadContacts();
    expect(c.dba).toMatchObject({ set: true, name: "Dana Smith, +44 20 7946 0001", notes: "from the runbook file" });
    expect(c.oncall).toMatchObject({ set: true, name: "Ana Ops" });
    expect(c.broker).toMatchObject({ set: false });
  });

  it("says so when no file is configured", () => {
    expect(loadContacts().oncall).toMatchObject({ set: false, problem: "CONTACTS_FILE is not set" });
  });
});
