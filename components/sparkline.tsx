"use client";
/**
 * A sparkline drawn with uPlot (about 50 KB, loaded on the client only, after the first paint,
 * so it stays out of the first-load bundle). The chart is decoration for the value beside it;
 * screen readers get a one-line description instead.
 */
import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { CheckStatus } from "@/lib/recovery/health/checks/types";

/** Mid-tone colours that read on light and dark backgrounds alike. */
const STROKE: Record<CheckStatus, string> = { ok: "#16a34a", warn: "#d97706", critical: "#dc2626", unknown: "#71717a" };
const HEIGHT = 40;

export type SparklineData = { xs: number[]; ys: (number | null)[] };

export function Sparkline({ data, tone, label, testId }: { data: SparklineData; tone: CheckStatus; label: string; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);

  useEffect(() => {
    latest.current = data;
    plot.current?.setData([data.xs, data.ys]);
  }, [data]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let cancelled = false;
    let observer: ResizeObserver | null = null;
    void import("uplot").then(({ default: UPlot }) => {
      if (cancelled) return;
      const stroke = STROKE[tone];
      const opts: uPlot.Options = {
        width: Math.max(50, el.clientWidth),
        height: HEIGHT,
        padding: [4, 2, 2, 2],
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: {
          x: { time: true },
          // From zero (or below), with a little room so a line at either edge is not cut in half.
          y: {
            range: (_u, min, max) => {
              const lo = Math.min(0, min ?? 0);
              const hi = max === null || max <= lo ? lo + 1 : max;
              const pad = (hi - lo) * 0.08;
              return [lo - pad, hi + pad];
            },
          },
        },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke, width: 1.5, fill: `${stroke}26`, points: { show: false }, spanGaps: false }],
      };
      const p = new UPlot(opts, [latest.current.xs, latest.current.ys], el);
      plot.current = p;
      observer = new ResizeObserver(() => p.setSize({ width: Math.max(50, el.clientWidth), height: HEIGHT }));
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [tone]);

  return <div ref={box} role="img" aria-label={label} data-testid={testId} className="h-10 w-full overflow-hidden" />;
}
