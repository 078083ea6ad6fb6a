/**
 * The live stream: the shared snapshot and the open incidents, pushed to every open dashboard as
 * server-sent events (GET /api/live), instead of each dashboard polling /api/health and
 * /api/incidents/current every few seconds.
 *
 * Why: every poll is a whole request through Next, the proxy and the session (4 to 7 ms of CPU),
 * and the console's JavaScript runs on one core, so 1,000 dashboards polling two endpoints every
 * 5 s (400 requests a second) saturated an instance (issue 16). Pushed, an update is built once
 * per interval for each kind of viewer (with or without details and contacts), serialized once,
 * and the same bytes are written to every stream.
 *
 * The rules a stream keeps:
 *   - it is opened by an authorized request (health.read) and re-checks its caller at every push
 *     (lib/recovery/access/authz.ts stillAuthorized: disabled users, ended sessions and lost roles
 *     are cut within the session re-check interval), and ends after `maxSeconds` (jittered) so the
 *     browser reconnects through the whole sign-in path again (session limits, cookie renewal);
 *   - the first frames are sent at once (a new tab is not blank for an interval);
 *   - a client that does not read (its buffer past `maxBufferedBytes`) is dropped, never buffered
 *     without bound;
 *   - the hub runs only while a stream is open; one failing read (the console store down) sends
 *     what it can: health without incidents. The browser falls back to polling when the stream
 *     stops delivering (components/data/live-stream.ts).
 */

export type LiveVariant = { details: boolean; contacts: boolean };

/** What the hub pushes, as the JSON bodies of /api/health and /api/incidents/current. */
export type LiveSource = {
  refreshSeconds(): number;
  health(details: boolean): Promise<unknown>;
  incidents(contacts: boolean): Promise<unknown>;
};

export type LiveStreamOptions = {
  variant: LiveVariant;
  /** Re-checks the caller before each push; false ends the stream. */
  stillAllowed(): Promise<boolean>;
  /** The client went away (the request's signal). */
  signal?: AbortSignal;
};

type Frames = { health: Uint8Array | null; incidents: Uint8Array | null };

/** A stream opened between pushes shares frames at most this old. */
const REUSE_MS = 1000;

type Subscriber = {
  variant: LiveVariant;
  controller: ReadableStreamDefaultController<Uint8Array>;
  stillAllowed(): Promise<boolean>;
  close(): void;
};

const encoder = new TextEncoder();

/** One server-sent event. JSON has no raw newline, so `data` is one line. */
export function sseFrame(event: string, data: unknown, id?: number): Uint8Array {
  return encoder.encode(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

const keyOf = (v: LiveVariant) => `${v.details ? "d" : "-"}${v.contacts ? "c" : "-"}`;

export class LiveHub {
  private readonly subs = new Set<Subscriber>();
  private readonly frames = new Map<string, { at: number; push: number; value: Promise<Frames> }>();
  /** The push's number, the events' id: a stream opened between pushes gets the last push's. */
  private push = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Streams opened and frames built, for /api/metrics and the tests. */
  opened = 0;
  builds = 0;

  constructor(
    private readonly source: LiveSource,
    private readonly opts: {
      /** A stream ends after this long plus up to a half more (jitter), and the browser reconnects. */
      maxSeconds: number;
      /** A client with more than this unread is dropped. */
      maxBufferedBytes?: number;
      /** Sent first: how long the browser waits before reconnecting (ms). */
      retryMs?: number;
      log?: (message: string) => void;
    },
  ) {}

  get streams(): number {
    return this.subs.size;
  }

  /** A stream for one authorized caller: the current frames at once, then one push per interval. */
  open(o: LiveStreamOptions): ReadableStream<Uint8Array> {
    let sub: Subscriber | null = null;
    let lifetime: ReturnType<typeof setTimeout> | null = null;
    const onAbort = () => sub?.close();
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          let closed = false;
          const s: Subscriber = {
            variant: o.variant,
            controller,
            stillAllowed: o.stillAllowed,
            close: () => {
              if (closed) return;
              closed = true;
              this.subs.delete(s);
              if (lifetime) clearTimeout(lifetime);
              o.signal?.removeEventListener("abort", onAbort);
              try {
                controller.close();
              } catch {
                // already closed or cancelled by the client
              }
              if (this.subs.size === 0) this.stop();
            },
          };
          sub = s;
          if (o.signal?.aborted) {
            s.close();
            return;
          }
          o.signal?.addEventListener("abort", onAbort, { once: true });
          this.subs.add(s);
          this.opened++;
          controller.enqueue(encoder.encode(`retry: ${this.opts.retryMs ?? 1000}\n\n`));
          const ms = this.opts.maxSeconds * 1000 * (1 + Math.random() / 2);
          lifetime = setTimeout(() => s.close(), ms);
          lifetime.unref?.();
          void this.framesFor(o.variant).then((f) => this.send(s, f));
          this.schedule();
        },
        cancel: () => sub?.close(),
        // Room counted in bytes, so a client that stops reading is seen by what it left unread.
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
  }

  /** Close every stream (shutdown, tests). */
  closeAll(): void {
    for (const s of [...this.subs]) s.close();
    this.stop();
  }

  private schedule(): void {
    if (this.timer || this.subs.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule());
    }, this.source.refreshSeconds() * 1000);
    this.timer.unref?.();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.frames.clear();
  }

  /** One push: the frames of each variant in use, built once, written to each of its streams. */
  async tick(): Promise<void> {
    const t0 = performance.now();
    const subs = [...this.subs];
    const variants = new Map<string, LiveVariant>();
    for (const s of subs) variants.set(keyOf(s.variant), s.variant);
    this.push++;
    const frames = new Map(await Promise.all([...variants].map(async ([k, v]) => [k, await this.framesFor(v)] as const)));
    const built = performance.now();
    // Each stream gets the push once its own caller is re-checked: a check answered from the
    // session cache is immediate, one that reads the store does not hold the others back.
    let slowest = built;
    await Promise.all(
      subs.map(async (s) => {
        const allowed = await s.stillAllowed().catch(() => false);
        if (allowed) this.send(s, frames.get(keyOf(s.variant))!);
        else s.close();
        slowest = Math.max(slowest, performance.now());
      }),
    );
    this.lastPush = { streams: subs.length, buildMs: built - t0, writeMs: slowest - built };
    if (slowest - t0 > 1000) this.opts.log?.(`[live] a push to ${subs.length} streams took ${Math.round(slowest - t0)} ms (${JSON.stringify(this.lastPush)})`);
  }

  /** The last push: streams, the time to build its frames, then until the last stream had them (re-checked and written). */
  lastPush: { streams: number; buildMs: number; writeMs: number } | null = null;

  /**
   * The frames of a variant: built once per push for all its streams. A stream opened between
   * pushes shares frames built in the last second, else gets its own (the incidents' `now` is
   * the banner's clock reference, so it should not be an interval old).
   */
  private framesFor(variant: LiveVariant): Promise<Frames> {
    const key = keyOf(variant);
    const cached = this.frames.get(key);
    if (cached && cached.push === this.push && Date.now() - cached.at < REUSE_MS) return cached.value;
    const value = this.build(variant, this.push);
    this.frames.set(key, { at: Date.now(), push: this.push, value });
    return value;
  }

  private async build(variant: LiveVariant, push: number): Promise<Frames> {
    this.builds++;
    const [health, incidents] = await Promise.allSettled([this.source.health(variant.details), this.source.incidents(variant.contacts)]);
    if (health.status === "rejected") this.opts.log?.(`[live] cannot build the health frame: ${String(health.reason)}`);
    return {
      health: health.status === "fulfilled" ? sseFrame("health", health.value, push) : null,
      // The store down: no incidents frame, and the banner polls (and shows) the error itself.
      incidents: incidents.status === "fulfilled" ? sseFrame("incidents", incidents.value, push) : null,
    };
  }

  private send(s: Subscriber, f: Frames): void {
    if (!this.subs.has(s)) return;
    const max = this.opts.maxBufferedBytes ?? 1 << 20;
    // desiredSize is the stream's room; below zero, that much is queued and unread.
    if ((s.controller.desiredSize ?? 0) < -max) {
      this.opts.log?.("[live] dropping a stream whose client does not read");
      s.close();
      return;
    }
    try {
      if (f.health) s.controller.enqueue(f.health);
      if (f.incidents) s.controller.enqueue(f.incidents);
    } catch {
      s.close();
    }
  }
}
