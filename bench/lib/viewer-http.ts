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

  close() {
    this.agent.destroy();
  }
}

class StaleSocketError extends Error {}
