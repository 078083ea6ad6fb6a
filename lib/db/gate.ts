/**
 * A counting semaphore with a deadline on acquisition.
 *
 * postgres.js queues a query without limit when every pooled connection is busy; during
 * pool exhaustion that queue is exactly where a console would hang. The gate sits in front
 * of the pool with the same capacity, so a caller waits at most `timeoutMs` for a slot.
 */
export class GateTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no free connection within ${timeoutMs} ms`);
    this.name = "GateTimeoutError";
  }
}

export class Gate {
  private inUse = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  get busy(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async acquire(timeoutMs: number): Promise<() => void> {
    if (this.inUse < this.capacity) {
      this.inUse++;
      return this.releaser();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.inUse++;
        resolve(this.releaser());
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new GateTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.waiters.shift()?.();
    };
  }
}
