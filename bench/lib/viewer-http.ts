/**
 * One simulated browser tab: its own keep-alive connections (an http.Agent of its own, at most 6
 * sockets, a browser's limit per host), as a dashboard left open keeps them, so 1,000 viewers are
 * at least 1,000 connections to the console, not a few shared ones. Like a browser, a GET sent on a kept-alive connection that the server closed at that
 * very moment (its keep-alive timeout) is sent once more on a new one; any other failure is the
 * caller's to count.
 */
import http from "node:http";

export type TabResponse = { status: number; ms: number; bytes: number };

export class Tab {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 6 });

  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Like a browser: a cookie the tab sends that a response sets anew is sent with its new value from then on. */
  private keepCookies(setCookie: string[] | undefined): void {
    const sent = this.headers.cookie;
    if (!setCookie?.length || !sent) return;
    const jar = new Map(sent.split("; ").map((c) => [c.slice(0, c.indexOf("=")), c.slice(c.indexOf("=") + 1)] as const));
    for (const line of setCookie) {
      const pair = line.split(";")[0]!;
      const name = pair.slice(0, pair.indexOf("="));
      if (jar.has(name)) jar.set(name, pair.slice(pair.indexOf("=") + 1));
    }
    this.headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** GET `path`, the whole body read; rejects on a network error or after `timeoutMs`. */
  async get(path: string, timeoutMs = 10_000): Promise<TabResponse> {
    const t0 = performance.now();
    try {
      return { ...(await this.once(path, timeoutMs)), ms: performance.now() - t0 };
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      return { ...(await this.once(path, timeoutMs)), ms: performance.now() - t0 };
    }
  }

  private once(path: string, timeoutMs: number): Promise<{ status: number; bytes: number }> {
    return new Promise((resolve, reject) => {
      const req = http.get(new URL(path, this.baseUrl), { agent: this.agent, headers: this.headers, timeout: timeoutMs }, (res) => {
        this.keepCookies(res.headers["set-cookie"]);
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) => {
        // Node's documented pattern: a reused socket reset before any response is a keep-alive race.
        if (req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) reject(new StaleSocketError(err.message));
        else reject(err);
      });
    });
  }

  /**
   * Hold a server-sent event stream open on `path`, as a browser's EventSource does: each event is
   * handed to `onEvent`; when the server ends the stream it is opened again after the `retry` the
   * server asked for. Resolves when `until` (epoch ms) has passed or `signal` aborts. A failed
   * connection (network error or a non-200) is handed to `onError` and retried after `retryMs`.
   */
  async stream(
    path: string,
    o: { until: number; onEvent: (event: string, data: string, id?: string) => void; onError: (message: string) => void; onOpen?: (ms: number) => void },
  ): Promise<void> {
    let retryMs = 1000;
    while (Date.now() < o.until) {
      const t0 = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get(new URL(path, this.baseUrl), { agent: this.agent, headers: { ...this.headers, accept: "text/event-stream" } }, (res) => {
          this.keepCookies(res.headers["set-cookie"]);
          if (res.statusCode !== 200) {
            o.onError(`${path}: HTTP ${res.statusCode}`);
            res.resume();
            return resolve(false);
          }
          o.onOpen?.(performance.now() - t0);
          res.setEncoding("utf8");
          let buf = "";
          res.on("data", (chunk: string) => {
            buf += chunk;
            for (let i; (i = buf.indexOf("\n\n")) >= 0; buf = buf.slice(i + 2)) {
              const block = buf.slice(0, i);
              const retry = /^retry: (\d+)$/m.exec(block)?.[1];
              if (retry) retryMs = Number(retry);
              const event = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              const id = /^id: (.*)$/m.exec(block)?.[1];
              if (event && data !== undefined) o.onEvent(event, data, id);
            }
          });
          res.on("end", () => resolve(true));
          res.on("error", () => resolve(true));
          res.on("close", () => resolve(true));
        });
        const stop = setTimeout(() => req.destroy(), Math.max(0, o.until - Date.now()));
        req.on("close", () => clearTimeout(stop));
        req.on("error", (err) => {
          if (Date.now() < o.until) o.onError(`${path}: ${err.message}`);
          resolve(false);
        });
      });
      if (Date.now() >= o.until) return;
      await new Promise((r) => setTimeout(r, ok ? retryMs : Math.max(retryMs, 1000)));
    }
  }

  close() {
    this.agent.destroy();
  }
}

class StaleSocketError extends Error {}
