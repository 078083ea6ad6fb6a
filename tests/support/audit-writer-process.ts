/**
 * Another console instance appending to the audit log, as its own process with its own writer (its
 * own idea of the chain's head), for the audit chain's multi-instance test (tests/db/audit-instances.test.ts).
 * AUDIT_WRITERS concurrent loops append AUDIT_ENTRIES entries each; every AUDIT_TX_EVERY-th entry
 * joins a transaction of its own (appendAudit's `tx` way in). Prints one JSON line at the end.
 */
import { closeStores, withConsole, type Sql } from "../../lib/db/client.ts";
import { appendAudit, appendStats } from "../../lib/recovery/audit/writer.ts";

const name = process.env.AUDIT_INSTANCE ?? "instance";
const writers = Number(process.env.AUDIT_WRITERS ?? 4);
const entries = Number(process.env.AUDIT_ENTRIES ?? 50);
const txEvery = Number(process.env.AUDIT_TX_EVERY ?? 0);
const actor = { id: `writer-${name}`, email: `${name}@test.example`, role: "oncall" };

let failures = 0;
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < entries; i++) {
      const input = { actor, action: "test.instances", outcome: "succeeded" as const, params: { name, w, i } };
      try {
        if (txEvery && i % txEvery === 0) await withConsole((sql) => sql.begin((tx) => appendAudit(input, { tx: tx as unknown as Sql })));
        else await appendAudit(input);
      } catch (err) {
        failures++;
        console.error(err);
      }
    }
  }),
);
console.log(JSON.stringify({ name, appended: writers * entries - failures, failures, ...appendStats }));
await closeStores();
