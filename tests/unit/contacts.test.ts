import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reloadEnv } from "@/lib/env";
import { loadContacts } from "@/lib/recovery/contacts";

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
  reloadEnv();
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

  it("says so when no file is configured", () => {
    expect(loadContacts().oncall).toMatchObject({ set: false, problem: "CONTACTS_FILE is not set" });
  });
});
