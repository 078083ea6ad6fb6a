/**
 * Anchoring the audit chain's head outside the database.
 *
 * A hash chain alone cannot reveal a deleted tail, nor a history rewritten consistently by
 * someone with superuser access to the store: the chain would still verify. So the console
 * records the head (seq, hash, the entry's time) to an append-only NDJSON file
 * (AUDIT_ANCHOR_FILE, default <DATA_DIR>/audit-anchors.ndjson) and, when
 * AUDIT_ANCHOR_WEBHOOK_URL is set, POSTs it there too:
 * - every AUDIT_ANCHOR_SECONDS (default 900) from the Node server's start-up (startAnchoring);
 * - after every successful verification (UI "Verify now", `npm run audit:verify -- --anchor`).
 * Verification compares the chain with the latest anchor (verify.ts, kind "truncated").
 *
 * Several console instances may anchor the same head twice: harmless, an anchor is a fact
 * ("entry N had hash H"), not a counter. Anchors are only as trustworthy as the place they are
 * kept: keep the file (or the webhook's receiver) out of reach of the database's administrators.
 * No server-only marker: `npm run audit:verify` uses it too.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { env, type Env } from "../../env.ts";
import { withConsole } from "../../db/client.ts";
import { getAuditHead } from "../../db/queries/audit-records.ts";
import type { Anchor } from "./verify.ts";

export type AnchorLine = Anchor & { at: string; anchoredAt: string; source: string };

const WEBHOOK_TIMEOUT_MS = 5000;
/** The first periodic anchor, shortly after start-up (the server is answering by then). */
const FIRST_ANCHOR_DELAY_MS = 10_000;

export function anchorFilePath(e: Pick<Env, "AUDIT_ANCHOR_FILE" | "DATA_DIR"> = env(), cwd = process.cwd()): string {
  return path.resolve(cwd, e.AUDIT_ANCHOR_FILE ?? path.join(e.DATA_DIR, "audit-anchors.ndjson"));
}

/** Append one anchor line and flush it to disk (O_APPEND: concurrent writers never interleave a line). */
export async function appendAnchorLine(file: string, anchor: AnchorLine): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const fh = await fs.promises.open(file, "a", 0o600);
  try {
    await fh.appendFile(`${JSON.stringify(anchor)}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

function isAnchorLine(v: unknown): v is AnchorLine {
  const a = v as Partial<AnchorLine> | null;
  return !!a && Number.isSafeInteger(a.seq) && (a.seq as number) > 0 && typeof a.hash === "string" && /^[0-9a-f]{64}$/.test(a.hash);
}

export type LatestAnchor = { anchor: AnchorLine | null; count: number; skipped: number; file: string };

/**
 * The latest anchor in the file: the one with the highest seq (first recorded wins a tie), read
 * line by line. `notAfter` ignores anchors recorded after that instant (an export is checked
 * against the anchors that existed when it was taken). A missing file has no anchors; a torn or
 * foreign line is skipped and counted.
 */
export async function readLatestAnchor(file: string, opts: { notAfter?: string } = {}): Promise<LatestAnchor> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { encoding: "utf8" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { anchor: null, count: 0, skipped: 0, file };
    throw err;
  }
  let latest: AnchorLine | null = null;
  let count = 0;
  let skipped = 0;
  const limit = opts.notAfter ? Date.parse(opts.notAfter) : Number.POSITIVE_INFINITY;
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!isAnchorLine(v)) {
      skipped++;
      continue;
    }
    if (Date.parse(v.anchoredAt) > limit) continue;
    count++;
    if (!latest || v.seq > latest.seq) latest = v;
  }
  return { anchor: latest, count, skipped, file };
}

type CachedAnchor = { size: number; mtimeMs: number; latest: LatestAnchor };
const gCache = globalThis as unknown as { __rcAnchorCache?: Map<string, CachedAnchor> };

/** readLatestAnchor for pages: re-read only when the file's size or mtime changed. */
export async function readLatestAnchorCached(file: string): Promise<LatestAnchor> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { anchor: null, count: 0, skipped: 0, file };
    throw err;
  }
  const cache = (gCache.__rcAnchorCache ??= new Map());
  const hit = cache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.latest;
  const latest = await readLatestAnchor(file);
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, latest });
  return latest;
}

/** POST the anchor to the webhook with a deadline. Resolves either way; failures are logged. */
export async function postAnchorWebhook(url: string, anchor: AnchorLine, token?: string, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ type: "recovery-console.audit-anchor", ...anchor }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) console.error(`[audit-anchor] webhook answered ${res.status} for anchor ${anchor.seq}`);
    return res.ok;
  } catch (err) {
    console.error(`[audit-anchor] webhook failed for anchor ${anchor.seq}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

export type RecordedAnchor = { anchor: AnchorLine; file: string; webhook: Promise<boolean> | null };

/**
 * Record a head: the file write is awaited (it throws if the file cannot be written); the
 * webhook is not (await `webhook` only where the process is about to exit, as the CLI does).
 */
export async function recordAnchor(head: { seq: number; hash: string; at: string }, opts: { source: string; file?: string; e?: Env }): Promise<RecordedAnchor> {
  const e = opts.e ?? env();
  const file = opts.file ?? anchorFilePath(e);
  const anchor: AnchorLine = { seq: head.seq, hash: head.hash, at: head.at, anchoredAt: new Date().toISOString(), source: opts.source };
  await appendAnchorLine(file, anchor);
  const webhook = e.AUDIT_ANCHOR_WEBHOOK_URL ? postAnchorWebhook(e.AUDIT_ANCHOR_WEBHOOK_URL, anchor, e.AUDIT_ANCHOR_WEBHOOK_TOKEN) : null;
  return { anchor, file, webhook };
}

/** Anchor the current head of the stored chain; null when the chain is empty. */
export async function anchorCurrentHead(opts: { source: string; file?: string }): Promise<RecordedAnchor | null> {
  const head = await withConsole((sql) => getAuditHead(sql), { timeoutMs: 5000 });
  if (!head) return null;
  return recordAnchor(head, opts);
}

function sourceName(kind: string): string {
  return `${kind}@${os.hostname()}:${process.pid}`;
}

const g = globalThis as unknown as { __rcAnchoring?: { timers: NodeJS.Timeout[]; running: boolean } };

/**
 * Start the periodic anchoring once per process (idempotent: dev reloads and repeated calls do
 * nothing). Timers are unref'd, so they never keep a process alive; a failed anchor is logged
 * and the next one tries again.
 */
export function startAnchoring(e: Env = env()): boolean {
  if (g.__rcAnchoring || e.AUDIT_ANCHOR_SECONDS === 0) return false;
  const state = { timers: [] as NodeJS.Timeout[], running: false };
  g.__rcAnchoring = state;
  const tick = async () => {
    if (state.running) return;
    state.running = true;
    try {
      await anchorCurrentHead({ source: sourceName("periodic") });
    } catch (err) {
      console.error(`[audit-anchor] could not anchor the audit chain's head: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      state.running = false;
    }
  };
  state.timers.push(setTimeout(() => void tick(), Math.min(FIRST_ANCHOR_DELAY_MS, e.AUDIT_ANCHOR_SECONDS * 1000)).unref());
  state.timers.push(setInterval(() => void tick(), e.AUDIT_ANCHOR_SECONDS * 1000).unref());
  return true;
}

/** For tests. */
export function stopAnchoring(): void {
  for (const t of g.__rcAnchoring?.timers ?? []) clearTimeout(t);
  g.__rcAnchoring = undefined;
}

export { sourceName as anchorSource };
