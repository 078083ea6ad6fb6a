import "server-only";
/**
 * The runbook the console follows, read from RUNBOOK_FILE (default runbook/recovery-runbook.md in
 * this project) and kept current without a restart: every RUNBOOK_RELOAD_SECONDS (and on a read
 * after that long) the file is stat'ed; only a changed mtime or size reads and hashes it, and only
 * a changed hash parses it (lib/recovery/runbook/parse.ts). A file that does not parse leaves the
 * last good version serving and sets `error` (line and problem) for the on-call and admin banner.
 * Each good version is recorded in the console store (insert-if-absent by hash, from any
 * instance; retried on the next check when the store is down).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "../../env.ts";
import { recordRunbookVersion } from "../../db/queries/runbook.ts";
import { checks } from "../health/checks/index.ts";
import { policyFrom, type EscalationPolicy } from "../incidents/escalation.ts";
import { parseRunbook, type Runbook, type RunbookProblem } from "./parse.ts";

const checkIds = checks.map((c) => c.id);

export type RunbookVersionInfo = { hash: string; lastUpdated: string | null; owner: string | null };
export type LoadedRunbook = RunbookVersionInfo & { runbook: Runbook; markdown: string; file: string; loadedAt: string };
export type RunbookLoadError = { file: string; problems: RunbookProblem[]; at: string };
export type RunbookState = { current: LoadedRunbook; error: RunbookLoadError | null };

type State = {
  current: LoadedRunbook | null;
  error: RunbookLoadError | null;
  seen: { file: string; mtimeMs: number; size: number; hash: string } | null;
  checkedAt: number;
  recorded: Set<string>;
  /** The last recording failure logged: a store that stays down is reported once, not every interval. */
  recordWarning: string | null;
  timer: NodeJS.Timeout | null;
};

const g = globalThis as unknown as { __rcRunbook?: State };
const state = (): State => (g.__rcRunbook ??= { current: null, error: null, seen: null, checkedAt: 0, recorded: new Set(), recordWarning: null, timer: null });

/** The runbook shipped with the console, copied into the project. */
export const defaultRunbookFile = () => path.join(process.cwd(), "runbook", "recovery-runbook.md");
export const runbookFile = () => path.resolve(env().RUNBOOK_FILE ?? defaultRunbookFile());

export const hashRunbook = (markdown: string) => createHash("sha256").update(markdown, "utf8").digest("hex");

function load(file: string, markdown: string, hash: string): LoadedRunbook | RunbookProblem[] {
  const parsed = parseRunbook(markdown, { knownCheckIds: checkIds });
  if (!parsed.ok) return parsed.problems;
  const rb = parsed.runbook;
  return { hash, lastUpdated: rb.lastUpdated, owner: rb.owner, runbook: rb, markdown, file, loadedAt: new Date().toISOString() };
}

function fail(file: string, problems: RunbookProblem[]) {
  const s = state();
  const first = problems[0];
  // Logged once per distinct failure (the check repeats every interval).
  if (s.error?.file !== file || s.error.problems[0]?.message !== first?.message || s.error.problems[0]?.line !== first?.line) {
    console.error(
      `[recovery-console] runbook ${file} is not valid, still serving the last good version: ${problems.map((p) => `line ${p.line}: ${p.message}`).join("; ")}`,
    );
  }
  s.error = { file, problems, at: new Date().toISOString() };
}

/** Look at the file now; re-read only what changed. */
export function refreshRunbook(): void {
  const s = state();
  s.checkedAt = Date.now();
  const file = runbookFile();
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    fail(file, [{ line: 0, message: `cannot read the runbook file: ${(err as Error).message}` }]);
    return ensureSomething();
  }
  const seen = s.seen;
  if (seen && seen.file === file && seen.mtimeMs === stat.mtimeMs && seen.size === stat.size) return record();
  let markdown: string;
  try {
    markdown = fs.readFileSync(file, "utf8");
  } catch (err) {
    fail(file, [{ line: 0, message: `cannot read the runbook file: ${(err as Error).message}` }]);
    return ensureSomething();
  }
  const hash = hashRunbook(markdown);
  const unchanged = seen?.file === file && seen.hash === hash;
  s.seen = { file, mtimeMs: stat.mtimeMs, size: stat.size, hash };
  if (unchanged) return record();
  const loaded = load(file, markdown, hash);
  if (Array.isArray(loaded)) {
    fail(file, loaded);
    return ensureSomething();
  }
  if (s.current && s.current.hash !== hash)
    console.info(
      `[recovery-console] runbook reloaded from ${file}: ${hash.slice(0, 12)} (Last Updated ${loaded.lastUpdated ?? "—"}, Owner ${loaded.owner ?? "—"})`,
    );
  s.current = loaded;
  s.error = null;
  record();
}

/** Nothing good was ever loaded (a bad RUNBOOK_FILE at start): serve the shipped runbook, with the error shown. */
function ensureSomething(): void {
  const s = state();
  if (s.current) return;
  const file = defaultRunbookFile();
  const markdown = fs.readFileSync(file, "utf8");
  const loaded = load(file, markdown, hashRunbook(markdown));
  if (Array.isArray(loaded)) throw new Error(`the shipped runbook ${file} does not parse: ${loaded[0]?.message}`);
  s.current = loaded;
  record();
}

/** Record the version in the store once per instance; a failure is retried at the next check. */
function record(): void {
  const s = state();
  const c = s.current;
  if (!c || s.recorded.has(c.hash)) return;
  s.recorded.add(c.hash);
  recordRunbookVersion({ hash: c.hash, lastUpdated: c.lastUpdated, owner: c.owner, content: c.markdown }).then(
    () => {
      s.recordWarning = null;
    },
    (err: unknown) => {
      s.recorded.delete(c.hash);
      const warning = `could not record runbook version ${c.hash.slice(0, 12)}: ${err instanceof Error ? err.message : String(err)}`;
      if (warning !== s.recordWarning) console.warn(`[recovery-console] ${warning} (retried at each check)`);
      s.recordWarning = warning;
    },
  );
}

/** The runbook in force and the last load problem, checking the file when the interval has passed. */
export function runbookState(): RunbookState {
  const s = state();
  if (!s.current || Date.now() - s.checkedAt >= env().RUNBOOK_RELOAD_SECONDS * 1000) refreshRunbook();
  return { current: s.current!, error: s.error };
}

export const currentRunbook = (): LoadedRunbook => runbookState().current;

/** The escalation policy in force: env overrides, else the runbook's levels. */
export const escalationPolicy = (): EscalationPolicy => policyFrom(env(), currentRunbook().runbook.escalation);

/** Forget what was loaded (tests, after pointing RUNBOOK_FILE elsewhere). */
export function resetRunbookSource(): void {
  const s = g.__rcRunbook;
  if (s?.timer) clearInterval(s.timer);
  g.__rcRunbook = undefined;
}

/** Check the file on a timer too, so versions are recorded with no page open. Idempotent; unref'd. */
export function startRunbookWatch(): void {
  const s = state();
  if (s.timer) return;
  refreshRunbook();
  s.timer = setInterval(() => {
    try {
      refreshRunbook();
    } catch (err) {
      console.error(`[recovery-console] runbook check failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, env().RUNBOOK_RELOAD_SECONDS * 1000);
  s.timer.unref();
}
