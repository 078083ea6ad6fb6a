/**
 * Anchoring the audit chain's head outside the database.
 *
 * A hash chain alone cannot reveal a deleted tail, nor a history rewritten consistently by
 * someone with superuser access to the store: the chain would still verify. So the console
 * records the head (seq, hash, the entry's time) to an append-only NDJSON file
 * (AUDIT_ANCHOR_FILE, default <DATA_DIR>/audit-anchors.ndjson) and, when
 * AUDIT_ANCHOR_WEBHOOK_URL is set, POSTs it there too:
 * - every AUDIT_ANCHOR_SECONDS (default 900) from the Node server's start-up (startAnchoring),
 *   through anchorVerifiedHead: it first verifies the segment from the previous anchor of this
 *   chain to the head (the entry at the previous anchor must still have the anchored hash, and
 *   every later entry its own hash and link), and refuses to anchor a chain that does not verify
 *   (a log line, the metric recovery_console_audit_anchor_refusals_total, an `audit.anchor`
 *   entry with outcome refused, and `auditAnchoring` on /api/health: anchoringStatus);
 * - after every successful full verification (UI "Verify now", `npm run audit:verify -- --anchor`).
 * Every anchor names its chain: `chain` is the hash of entry 1 and `genesisId` its id, so a sink
 * shared by several stores (staging and production) never reads as deleted entries: verification
 * (verify.ts) skips the anchors of another chain, with a note, and checks every anchor of its own.
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
import { tracedFetch } from "../../trace.ts";
import { withConsole } from "../../db/client.ts";
import { DbError } from "../../db/errors.ts";
import { openAuditCursor, recordsOf } from "../../db/queries/audit.ts";
import { getAuditGenesis } from "../../db/queries/audit-records.ts";
import { appendAudit } from "./writer.ts";
import { verifyChain, type Anchor, type Break, type Head } from "./verify.ts";

export type AnchorLine = Anchor & { at: string; anchoredAt: string; source: string };

/** A chain's identity: its entry 1. */
export type Genesis = { id: string; hash: string };

/** The anchorer's segment read: bounded like any long read. */
const SEGMENT_DEADLINE_MS = 10 * 60_000;

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

export type AnchorsRead = { anchors: AnchorLine[]; skipped: number; file: string };

/**
 * Every anchor in the file, in file order, read line by line. `notAfter` ignores anchors recorded
 * after that instant (an export is checked against the anchors that existed when it was taken).
 * A missing file has no anchors; a torn or foreign line is skipped and counted.
 */
export async function readAnchors(file: string, opts: { notAfter?: string } = {}): Promise<AnchorsRead> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { encoding: "utf8" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { anchors: [], skipped: 0, file };
    throw err;
  }
  const anchors: AnchorLine[] = [];
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
    anchors.push(v);
  }
  return { anchors, skipped, file };
}

/** Whether an anchor belongs to the chain whose entry 1 has hash `chain` (lines without one: yes). */
export const ofChain = (a: Anchor, chain: string | null | undefined): boolean => chain == null || a.chain === undefined || a.chain === chain;

/**
 * The latest anchor in the file: the one with the highest seq (first recorded wins a tie).
 * With `chain`, only that chain's anchors count (see readAnchors for `notAfter`).
 */
export async function readLatestAnchor(file: string, opts: { notAfter?: string; chain?: string | null } = {}): Promise<LatestAnchor> {
  const read = await readAnchors(file, opts);
  let latest: AnchorLine | null = null;
  let count = 0;
  for (const a of read.anchors) {
    if (!ofChain(a, opts.chain)) continue;
    count++;
    if (!latest || a.seq > latest.seq) latest = a;
  }
  return { anchor: latest, count, skipped: read.skipped, file };
}

type CachedAnchor = { size: number; mtimeMs: number; latest: LatestAnchor };
const gCache = globalThis as unknown as { __rcAnchorCache?: Map<string, CachedAnchor> };

/** readLatestAnchor for pages: re-read only when the file's size or mtime changed. */
export async function readLatestAnchorCached(file: string, chain: string | null = null): Promise<LatestAnchor> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { anchor: null, count: 0, skipped: 0, file };
    throw err;
  }
  const cache = (gCache.__rcAnchorCache ??= new Map());
  const key = `${chain ?? ""}:${file}`;
  const hit = cache.get(key);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.latest;
  const latest = await readLatestAnchor(file, { chain });
  cache.set(key, { size: st.size, mtimeMs: st.mtimeMs, latest });
  return latest;
}

/** POST the anchor to the webhook with a deadline. Resolves either way; failures are logged. */
export async function postAnchorWebhook(url: string, anchor: AnchorLine, token?: string, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await tracedFetch("anchor-webhook", url, {
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
 * Record only a head that was verified (anchorVerifiedHead, verifyAndRecord); `genesis` names the
 * chain it belongs to.
 */
export async function recordAnchor(head: Head, opts: { source: string; file?: string; e?: Env; genesis?: Genesis | null }): Promise<RecordedAnchor> {
  const e = opts.e ?? env();
  const file = opts.file ?? anchorFilePath(e);
  const anchor: AnchorLine = {
    seq: head.seq,
    hash: head.hash,
    at: head.at,
    ...(opts.genesis ? { chain: opts.genesis.hash, genesisId: opts.genesis.id } : {}),
    anchoredAt: new Date().toISOString(),
    source: opts.source,
  };
  await appendAnchorLine(file, anchor);
  const webhook = e.AUDIT_ANCHOR_WEBHOOK_URL ? postAnchorWebhook(e.AUDIT_ANCHOR_WEBHOOK_URL, anchor, e.AUDIT_ANCHOR_WEBHOOK_TOKEN) : null;
  return { anchor, file, webhook };
}

// ── The anchorer's state (per process), for /api/health and /api/metrics ──────────────────

export type AnchoringStatus = {
  /** Whether this process runs the periodic anchorer. */
  periodic: boolean;
  /** The last anchor this process recorded. */
  lastAnchor: { seq: number; hash: string; anchoredAt: string } | null;
  /** The last attempt (anchored, unchanged, refused or failed). */
  lastAttemptAt: string | null;
  /** The last attempt refused to anchor because the chain does not verify. */
  refused: boolean;
  /** Why (the first break), while refused. */
  reason: string | null;
  /** Since when the anchorer refuses, while refused. */
  refusedSince: string | null;
  /** Refusals since the process started (the metric's counter). */
  refusals: number;
  /** The last attempt failed for another reason (store or file unavailable). */
  error: string | null;
};

const gState = globalThis as unknown as { __rcAnchoringStatus?: AnchoringStatus };

function state(): AnchoringStatus {
  return (gState.__rcAnchoringStatus ??= {
    periodic: false,
    lastAnchor: null,
    lastAttemptAt: null,
    refused: false,
    reason: null,
    refusedSince: null,
    refusals: 0,
    error: null,
  });
}

export function anchoringStatus(): AnchoringStatus {
  return { ...state() };
}

export function breakLine(b: Break): string {
  return `#${b.seq}${b.through !== undefined && b.through !== b.seq ? `..${b.through}` : ""} ${b.kind}: ${b.detail}`;
}

const SYSTEM_ANCHORER = { id: "system:anchorer", email: "system:anchorer", role: "system" };

/**
 * A refusal to anchor: counted (the metric), shown on /api/health, and, when it starts or its
 * first break changes, logged and recorded as an `audit.anchor` entry (outcome refused). Not an
 * entry per tick: a broken chain stays broken, and the timer runs every few minutes.
 */
export async function noteAnchorRefused(v: { breaks: Break[]; breakCount: number; previous: Anchor | null; head: Head | null; source: string }): Promise<void> {
  const st = state();
  const now = new Date().toISOString();
  const first = v.breaks[0];
  const reason = `the chain does not verify (${v.breakCount} ${v.breakCount === 1 ? "break" : "breaks"}${first ? `; first ${breakLine(first)}` : ""})`;
  const changed = !st.refused || st.reason !== reason;
  st.refusals++;
  st.lastAttemptAt = now;
  st.error = null;
  if (!st.refused) st.refusedSince = now;
  st.refused = true;
  st.reason = reason;
  if (!changed) return;
  console.error(`[audit-anchor] refusing to anchor entry ${v.head?.seq ?? "?"}: ${reason}`);
  await appendAudit({
    actor: SYSTEM_ANCHORER,
    action: "audit.anchor",
    outcome: "refused",
    reason,
    detail: {
      source: v.source,
      breakCount: v.breakCount,
      breaks: v.breaks.slice(0, 20),
      previousAnchor: v.previous && { seq: v.previous.seq, hash: v.previous.hash, anchoredAt: v.previous.anchoredAt ?? null },
      head: v.head,
    },
  }).catch((err) => console.error(`[audit-anchor] could not record the refusal in the audit log: ${err instanceof Error ? err.message : String(err)}`));
}

/** An attempt that verified: `latest` is the anchor now standing (recorded now, or the previous one). */
function noteAnchored(latest: AnchorLine | null): void {
  const st = state();
  st.lastAttemptAt = new Date().toISOString();
  if (latest) st.lastAnchor = { seq: latest.seq, hash: latest.hash, anchoredAt: latest.anchoredAt };
  if (st.refused) console.error(`[audit-anchor] the chain verifies again; anchoring resumed${latest ? ` at entry ${latest.seq}` : ""}`);
  st.refused = false;
  st.reason = null;
  st.refusedSince = null;
  st.error = null;
}

export type AnchorAttempt =
  | { status: "anchored"; anchor: RecordedAnchor; verified: { from: number; to: number } }
  | { status: "unchanged"; head: Head | null }
  | { status: "refused"; breaks: Break[]; breakCount: number; previous: AnchorLine | null; head: Head | null };

/**
 * Anchor the stored chain's head, after verifying it from the previous anchor of this chain:
 * the entry at that anchor's seq must still have its hash, every entry after it its own hash and
 * the link to its predecessor, and every other anchor of this chain in the segment must hold.
 * No previous anchor: the whole chain is verified. What was read and verified is what is
 * anchored (entries appended meanwhile wait for the next run). A chain that does not verify is
 * refused (noteAnchorRefused), never anchored: an anchor would bless the rewritten history.
 */
export async function anchorVerifiedHead(opts: { source: string; file?: string; e?: Env }): Promise<AnchorAttempt> {
  const e = opts.e ?? env();
  const file = opts.file ?? anchorFilePath(e);
  try {
    // Anchors first, then the chain: an anchor read is always covered by the chain read after it.
    const { anchors } = await readAnchors(file);
    const genesis = await withConsole((sql) => getAuditGenesis(sql), { timeoutMs: 5000 });
    if (!genesis) {
      noteAnchored(null);
      return { status: "unchanged", head: null };
    }
    let previous: AnchorLine | null = null;
    for (const a of anchors) if (ofChain(a, genesis.hash) && (!previous || a.seq > previous.seq)) previous = a;
    const from = previous ? { seq: previous.seq, hash: previous.hash } : { seq: 1, hash: genesis.hash };
    const cursor = await openAuditCursor({ deadlineMs: SEGMENT_DEADLINE_MS, batch: 2000, fromSeq: from.seq });
    let result;
    try {
      result = await verifyChain(recordsOf(cursor), { mode: "segment", from, genesis, anchors });
    } finally {
      await cursor.close();
    }
    if (!result.ok) {
      await noteAnchorRefused({ breaks: result.breaks, breakCount: result.breakCount, previous, head: result.head, source: opts.source });
      return { status: "refused", breaks: result.breaks, breakCount: result.breakCount, previous, head: result.head };
    }
    const head = result.head;
    if (!head || (previous && head.seq === previous.seq)) {
      // Nothing new to anchor: the previous anchor still holds.
      noteAnchored(previous);
      return { status: "unchanged", head };
    }
    const anchor = await recordAnchor(head, { source: opts.source, file, e, genesis });
    noteAnchored(anchor.anchor);
    return { status: "anchored", anchor, verified: { from: from.seq, to: head.seq } };
  } catch (err) {
    const st = state();
    st.lastAttemptAt = new Date().toISOString();
    st.error = err instanceof DbError ? err.code : err instanceof Error ? err.message : String(err);
    throw err;
  }
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
  const timer = { timers: [] as NodeJS.Timeout[], running: false };
  g.__rcAnchoring = timer;
  state().periodic = true;
  const tick = async () => {
    if (timer.running) return;
    timer.running = true;
    try {
      await anchorVerifiedHead({ source: sourceName("periodic"), e });
    } catch (err) {
      console.error(`[audit-anchor] could not anchor the audit chain's head: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      timer.running = false;
    }
  };
  timer.timers.push(setTimeout(() => void tick(), Math.min(FIRST_ANCHOR_DELAY_MS, e.AUDIT_ANCHOR_SECONDS * 1000)).unref());
  timer.timers.push(setInterval(() => void tick(), e.AUDIT_ANCHOR_SECONDS * 1000).unref());
  return true;
}

/** For tests. */
export function stopAnchoring(): void {
  for (const t of g.__rcAnchoring?.timers ?? []) clearTimeout(t);
  g.__rcAnchoring = undefined;
  gState.__rcAnchoringStatus = undefined;
}

export { sourceName as anchorSource };
