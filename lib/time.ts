/** The time of this request on the server; a function so server components read the clock once, explicitly. */
export function requestTime(): number {
  return Date.now();
}
