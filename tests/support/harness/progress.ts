/**
 * Progress lines for long runs: one line when a step starts, one when it ends (with its time), and
 * intermediate notes. Plain lines, no cursor tricks, so CI logs and terminals read the same.
 */
const started = Date.now();

function stamp(): string {
  const s = Math.round((Date.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function say(line: string): void {
  console.log(`[${stamp()}] ${line}`);
}

export type Step = { note(line: string): void; done(result?: string): number };

/** Start a step; `done` prints its duration (and an optional result) and returns it in ms. */
export function step(title: string): Step {
  const t0 = performance.now();
  say(`▸ ${title}…`);
  return {
    note: (line) => say(`  ${line}`),
    done(result) {
      const ms = performance.now() - t0;
      say(`  ✓ ${title} (${ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`})${result ? `: ${result}` : ""}`);
      return ms;
    },
  };
}

/** A throttled progress reporter for loops ("3.0M of 10M rows"). */
export function ticker(prefix: string, everyMs = 5000): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    say(`  ${prefix}${line}`);
  };
}
