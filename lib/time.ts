/** The time of this request on the server; a function so server components read the clock once, explicitly. */
export function requestTime(): number {
  return Date.now();
}

/**
 * The value of `promise`, or null if it fails or takes longer than `ms`: for optional parts of a
 * page (the incident banner, the status page's incident) that must never hold the page up.
 */
export function orNullAfter<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))])
    .catch(() => null)
    .finally(() => clearTimeout(timer));
}
