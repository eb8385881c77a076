import { useEffect, useRef, useState } from "react";

/** One bar; `line` (optional) is drawn as a line on the same scale, e.g. a running total. */
export type ChartPoint = { label: string; value: number; line?: number };

const PAD = { top: 12, right: 12, bottom: 26 };

/**
 * A bar chart drawn as SVG at the width of its container (text stays readable on a phone), with an optional line
 * on the same scale, e.g. earnings per session and their running total.
 *
 * @example
 * <BarChart points={[{ label: "s3", value: 1.5, line: 1.5 }]} format={(v) => `${v} DPT`} lineLabel="total" />
 */
export function BarChart(props: {
  points: ChartPoint[];
  format: (value: number) => string;
  height?: number;
  label: string;
  lineLabel?: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.floor(entry.contentRect.width)));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const height = props.height ?? 190;
  // The latest points that fit: bars stay at least a few pixels wide.
  const points = props.points.slice(-Math.max(8, Math.floor(width / 10)));
  const max = niceMax(Math.max(0, ...points.map((p) => Math.max(p.value, p.line ?? 0))));
  // Room for the longest axis label.
  const left = 12 + 6.5 * Math.max(...[0, 0.5, 1].map((f) => props.format(max * f).length));
  const pad = { ...PAD, left };
  const plotW = width - pad.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, points.length);
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const y = (v: number) => PAD.top + plotH - (max === 0 ? 0 : (v / max) * plotH);
  const every = Math.max(1, Math.ceil(points.length / Math.max(1, Math.floor(plotW / 56))));
  const line = points
    .filter((p) => p.line !== undefined)
    .map((p, i) => `${i === 0 ? "M" : "L"}${pad.left + slot * (i + 0.5)},${y(p.line ?? 0)}`)
    .join(" ");

  return (
    <div className="chart" ref={box} data-testid={props.testId}>
      <svg width={width} height={height} role="img" aria-label={props.label}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="grid" x1={pad.left} x2={width - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text className="axis" x={pad.left - 6} y={y(max * f) + 4} textAnchor="end">
              {props.format(max * f)}
            </text>
          </g>
        ))}
        {points.map((p, i) => (
          <g key={p.label}>
            <rect
              className="bar"
              x={pad.left + slot * (i + 0.5) - barW / 2}
              y={y(p.value)}
              width={barW}
              height={Math.max(0, PAD.top + plotH - y(p.value))}
            >
              <title>{`${p.label}: ${props.format(p.value)}`}</title>
            </rect>
            {i % every === 0 && (
              <text className="axis" x={pad.left + slot * (i + 0.5)} y={height - 8} textAnchor="middle">
                {p.label}
              </text>
            )}
          </g>
        ))}
        {line && <path className="line" d={line} />}
        {points.length === 1 && points[0]?.line !== undefined && (
          <circle className="dot-line" cx={pad.left + slot / 2} cy={y(points[0].line)} r={4} />
        )}
      </svg>
      <div className="legend">
        <span className="key bar-key" /> {props.label}
        {props.lineLabel && (
          <>
            <span className="key line-key" /> {props.lineLabel}
          </>
        )}
      </div>
    </div>
  );
}

/** 1, 2 or 5 times a power of ten, at or above `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 0;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
