/**
 * The runbook file against a real console store (lib/recovery/runbook/source.ts): each distinct
 * version is recorded by hash with its Last Updated and Owner; an edit is followed without a
 * restart; an invalid file keeps the last good version and names the line; an incident records
 * the version in force and its report names it; a newer version after the incident ticks "Update
 * runbook with lessons learned".
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeStores } from "@/lib/db/client";
import { getIncident } from "@/lib/db/queries/incidents";
import { getRunbookVersions, runbookUpdatedSince } from "@/lib/db/queries/runbook";
import { signalsRecent } from "@/lib/recovery/health/checks/signals-recent";
import { IncidentEvaluator } from "@/lib/recovery/incidents/evaluator";
import { draftReport, effectiveChecklist } from "@/lib/recovery/incidents/report";
import { hashRunbook, refreshRunbook, resetRunbookSource, runbookState } from "@/lib/recovery/runbook/source";
import { runCheck } from "@/lib/recovery/health/snapshot";
import { connect, resetTrading, withEnv, type Sql } from "../support/db";

let trading: Sql;
let store: Sql;
let dir: string;
let file: string;
const SHIPPED = fs.readFileSync("runbook/recovery-runbook.md", "utf8");

/** Write the file with a distinct mtime (the loader compares mtime and size before reading). */
function write(text: string) {
  fs.writeFileSync(file, text);
  const t = new Date(Date.now() + Math.floor(Math.random() * 1e6));
  fs.utimesSync(file, t, t);
}
const stored = (hash: string) =>
  store<{ hash: string; last_updated: string | null; owner: string | null; content: string }[]>`select * from console.runbook_versions where hash = ${hash}`;

beforeAll(async () => {
  trading = connect("trading");
  store = connect("console");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-"));
  file = path.join(dir, "runbook.md");
  await closeStores();
  await withEnv({
    RUNBOOK_FILE: file,
    RUNBOOK_RELOAD_SECONDS: "1",
    SIGNAL_SILENCE_SECONDS: "60",
    INCIDENT_WEBHOOK_URLS: undefined,
    ESCALATION_L2_MINUTES: undefined,
    ESCALATION_L3_MINUTES: undefined,
  });
});
beforeEach(async () => {
  resetRunbookSource();
  write(SHIPPED);
  await store`delete from console.runbook_versions`;
});
afterAll(async () => {
  resetRunbookSource();
  await trading.end();
  await store.end();
  await closeStores();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("runbook versions", () => {
  it("records each distinct version once, follows an edit, and keeps the last good version when the file breaks", async () => {
    refreshRunbook();
    const first = runbookState().current;
    expect(first.hash).toBe(hashRunbook(SHIPPED));
    await expect.poll(async () => (await stored(first.hash)).map((r) => [r.last_updated, r.owner])).toEqual([["2026-01-03", "SRE Team"]]);

    // Unchanged file, checked again: still one row.
    refreshRunbook();
    expect(await store`select hash from console.runbook_versions`).toHaveLength(1);

    const edited = SHIPPED.replace("**Last Updated**: 2026-01-03", "**Last Updated**: 2026-02-10").replace(
      "## Monitoring Queries",
      "### 6. Market Data Gap\n\n**Symptoms**: Ticks missing\n\n**Recovery Steps**:\n1. Tell the desk\n\n## Monitoring Queries",
    );
    write(edited);
    refreshRunbook();
    const second = runbookState().current;
    expect(second.hash).toBe(hashRunbook(edited));
    expect(second.runbook.scenarios.map((s) => s.title)).toContain("Market Data Gap");
    await expect.poll(async () => (await stored(second.hash)).map((r) => [r.last_updated, r.content === edited])).toEqual([["2026-02-10", true]]);

    const broken = edited.replace("### 5. MT5 EA Disconnected", "### MT5 EA Disconnected");
    write(broken);
    refreshRunbook();
    const { current, error } = runbookState();
    expect(current.hash).toBe(second.hash);
    expect(error?.problems).toEqual([
      { line: broken.split("\n").indexOf("### MT5 EA Disconnected") + 1, message: 'scenario heading "MT5 EA Disconnected" must be "N. Title"' },
    ]);
    expect(await store`select hash from console.runbook_versions`).toHaveLength(2);

    // Fixed again: the error clears.
    write(edited.replace("**Owner**: SRE Team", "**Owner**: Platform Team"));
    refreshRunbook();
    expect(runbookState().error).toBeNull();
    expect(runbookState().current.owner).toBe("Platform Team");
  });

  it("an incident records the version in force, its report names it, and a newer version ticks 'Update runbook'", async () => {
    await resetTrading(trading);
    await store`delete from console.incident_events`;
    await store`delete from console.incidents`;
    await store`delete from console.check_transitions`;
    refreshRunbook();
    const inForce = runbookState().current;
    await expect.poll(async () => (await stored(inForce.hash)).length).toBe(1);

    const ev = new IncidentEvaluator({ intervalMs: 1000, now: () => Date.now(), evaluate: async () => [await runCheck(signalsRecent, 3000)], log: () => {} });
    await ev.tick();
    await ev.stop();
    const [row] = await store<{ id: string; runbook_hash: string }[]>`select id, runbook_hash from console.incidents`;
    expect(row?.runbook_hash).toBe(inForce.hash);
    const incident = (await getIncident({ id: Number(row!.id) }))!;

    const [version] = await getRunbookVersions({ hashes: [incident.runbookHash!] });
    const report = draftReport({
      incident,
      events: [],
      actions: [],
      deliveries: [],
      now: Date.now(),
      scenarios: inForce.runbook.scenarios,
      runbookVersion: version,
    });
    expect(report).toContain(`- **Runbook version:** ${inForce.hash.slice(0, 12)} (Last Updated 2026-01-03, Owner SRE Team)`);
    expect(report).toContain("- [ ] Update runbook with lessons learned");
    expect(await runbookUpdatedSince({ since: incident.startedAt, hash: incident.runbookHash ?? null })).toBeNull();

    const lessons = SHIPPED.replace("**Last Updated**: 2026-01-03", "**Last Updated**: 2026-03-01");
    write(lessons);
    refreshRunbook();
    await expect.poll(async () => (await stored(hashRunbook(lessons))).length).toBe(1);
    const updated = await runbookUpdatedSince({ since: incident.startedAt, hash: incident.runbookHash ?? null });
    expect(updated).toMatchObject({ hash: hashRunbook(lessons), lastUpdated: "2026-03-01" });
    expect(effectiveChecklist(incident, updated).runbook).toBe(true);
    const after = draftReport({
      incident,
      events: [],
      actions: [],
      deliveries: [],
      now: Date.now(),
      scenarios: inForce.runbook.scenarios,
      runbookVersion: version,
      runbookUpdated: updated,
    });
    expect(after).toContain("- [x] Update runbook with lessons learned (runbook ");
  });

  it("a check opens its incident for the scenario the runbook file binds it to", async () => {
    await resetTrading(trading);
    await store`delete from console.incident_events`;
    await store`delete from console.incidents`;
    await store`delete from console.check_transitions`;
    write(
      SHIPPED.replace("**Symptoms**: No new signals in `signal_outbox` table for > 5 minutes", "**Symptoms**: Something else entirely").replace(
        "## Monitoring Queries",
        "### 6. Signal Pipeline Stalled\n<!-- console: checks=signals_recent -->\n\n**Symptoms**: No signals\n\n**Recovery Steps**:\n1. Page the quant on duty\n\n## Monitoring Queries",
      ),
    );
    refreshRunbook();
    expect(runbookState().error).toBeNull();
    const ev = new IncidentEvaluator({ intervalMs: 1000, now: () => Date.now(), evaluate: async () => [await runCheck(signalsRecent, 3000)], log: () => {} });
    await ev.tick();
    await ev.stop();
    expect(await store`select scenario, title from console.incidents`).toEqual([{ scenario: 6, title: "Signal Pipeline Stalled: No signals" }]);
  });
});
