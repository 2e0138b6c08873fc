/** A cluster's statistics over time with uPlot: small multiples, one quantity each. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Point {
  t: number;
  v: number;
}

export function Sparkplot({
  label,
  unit,
  points,
  color,
  format,
  from,
  to,
}: {
  label: string;
  unit: string;
  points: Point[];
  color: string;
  format: (n: number) => string;
  /** the window shown (ms), whatever the points cover */
  from: number;
  to: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const span = useRef({ from, to });
  span.current = { from, to };
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 140,
      legend: { show: false },
      cursor: { y: false, points: { size: 6 } },
      scales: { x: { time: true, range: () => [span.current.from / 1000, span.current.to / 1000] }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.15 : 1] } },
      axes: [
        { stroke: '#6b7280', grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#e5e7eb', width: 1 }, font: '11px system-ui, sans-serif' },
        { stroke: '#6b7280', grid: { stroke: '#eef0f3', width: 1 }, ticks: { show: false }, size: 48, font: '11px system-ui, sans-serif', values: (_u, vals) => vals.map((v) => format(v)) },
      ],
      // Points show while there are too few to draw a line (a cluster that just registered).
      series: [{}, { label, stroke: color, width: 1.5, fill: `${color}1a`, points: { show: (u) => (u.data[0]?.length ?? 0) < 4, size: 5 } }],
    };
    plot.current = new uPlot(opts, [[], []], el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 140 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [label, color, format]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new window re-applies the data (and with it the x range)
  useEffect(() => {
    plot.current?.setData([points.map((p) => p.t / 1000), points.map((p) => p.v)]);
  }, [points, from, to]);
  const last = points[points.length - 1];
  return (
    <div className="plot">
      <div className="plot-head">
        <span>{label}</span>
        <span className="plot-last">
          {last ? format(last.v) : '–'} <span className="muted">{unit}</span>
        </span>
      </div>
      <div ref={host} className="plot-host" />
    </div>
  );
}
