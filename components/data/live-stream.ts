"use client";
/**
 * The dashboard's live stream (GET /api/live, server-sent events; lib/recovery/live/hub.ts): the
 * server pushes the health snapshot and the open incidents at each refresh, and this writes them
 * into the same query cache the polled queries use. While the stream delivers, those queries do not
 * poll; when it stops delivering (an error, a proxy that buffers, a hung server), they poll again,
 * so a broken stream costs freshness never correctness.
 *
 * One stream per tab, opened while a live query is mounted and the tab is visible (hidden tabs
 * neither stream nor poll). The browser reconnects by itself when the server ends a stream.
 */
import { useEffect, useState } from "react";
import { useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { keys } from "./keys";

export type LiveTopic = "health" | "incidents";

const TOPIC_KEYS: Record<LiveTopic, QueryKey> = { health: keys.health(), incidents: keys.incidents() };

/** Without an event for this long (two refreshes and some slack), a topic is polled again. */
const SLACK_MS = 3000;
/** After the stream failed for good (HTTP error), the next try. */
const RETRY_MS = 15_000;

class LiveStream {
  private es: EventSource | null = null;
  private users = 0;
  private readonly last: Record<LiveTopic, number> = { health: 0, incidents: 0 };
  private readonly delivering: Record<LiveTopic, boolean> = { health: false, incidents: false };
  private intervalMs = 5000;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly qc: QueryClient) {}

  /** Is `topic` arriving on the stream (so its query need not poll)? */
  delivers(topic: LiveTopic): boolean {
    return this.es !== null && Date.now() - this.last[topic] < 2 * this.intervalMs + SLACK_MS;
  }

  acquire(): () => void {
    if (++this.users === 1) {
      document.addEventListener("visibilitychange", this.onVisibility);
      if (!document.hidden) this.connect();
    }
    return () => {
      if (--this.users > 0) return;
      document.removeEventListener("visibilitychange", this.onVisibility);
      this.disconnect();
    };
  }

  private readonly onVisibility = () => (document.hidden ? this.disconnect() : this.connect());

  private connect(): void {
    if (this.es || typeof EventSource === "undefined") return;
    const es = new EventSource("/api/live");
    this.es = es;
    for (const topic of ["health", "incidents"] as const) {
      es.addEventListener(topic, (e) => {
        if (this.es !== es) return;
        let data: unknown;
        try {
          data = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          return;
        }
        if (topic === "health") {
          const seconds = (data as { refreshSeconds?: unknown }).refreshSeconds;
          if (typeof seconds === "number" && seconds > 0) this.intervalMs = seconds * 1000;
        }
        this.last[topic] = Date.now();
        this.delivering[topic] = true;
        this.qc.setQueryData(TOPIC_KEYS[topic], data);
      });
    }
    es.onerror = () => {
      if (this.es !== es || es.readyState !== EventSource.CLOSED) return;
      // Closed for good (an HTTP error such as 401): poll, whose answer says why, and try later.
      this.disconnect(true);
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.users > 0 && !document.hidden) this.connect();
      }, RETRY_MS);
    };
    // A topic that stops arriving (while the browser reconnects, or a stream that hangs) is polled again.
    this.watchdog = setInterval(() => {
      for (const topic of ["health", "incidents"] as const) {
        const now = this.delivers(topic);
        if (this.delivering[topic] && !now) this.fallBack(topic);
        this.delivering[topic] = now;
      }
    }, 1000);
  }

  /** Close the stream; `poll`: the topics it delivered are polled again at once (not when the tab is hidden). */
  private disconnect(poll = false): void {
    this.es?.close();
    this.es = null;
    for (const topic of ["health", "incidents"] as const) {
      if (poll && this.delivering[topic]) this.fallBack(topic);
      this.delivering[topic] = false;
    }
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retry) clearTimeout(this.retry);
    this.watchdog = this.retry = null;
  }

  /** Start the topic's polling again: a fetch now, whose result re-arms the query's interval. */
  private fallBack(topic: LiveTopic): void {
    const query = this.qc.getQueryCache().find({ queryKey: TOPIC_KEYS[topic], exact: true });
    if (query && query.getObserversCount() > 0 && query.state.fetchStatus === "idle") {
      void this.qc.refetchQueries({ queryKey: TOPIC_KEYS[topic], exact: true, type: "active" });
    }
  }
}

const streams = new WeakMap<QueryClient, LiveStream>();

/** The tab's live stream, held open while the calling component is mounted (and `hold` is true). */
export function useLiveStream(hold = true): LiveStream {
  const qc = useQueryClient();
  const [stream] = useState(() => {
    let s = streams.get(qc);
    if (!s) streams.set(qc, (s = new LiveStream(qc)));
    return s;
  });
  useEffect(() => (hold ? stream.acquire() : undefined), [stream, hold]);
  return stream;
}
