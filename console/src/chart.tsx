/** A small line chart of [time, value] points as SVG (no library, nothing inline but attributes: the CSP holds). */
export function Chart({ label, points, unit, format = (v) => v.toFixed(2) }: { label: string; points: Array<[number, number]>; unit: string; format?: (v: number) => string }) {
  const w = 320;
  const h = 90;
  const last = points.at(-1)?.[1];
  const max = Math.max(1e-9, ...points.map((p) => p[1]));
  const t1 = Date.now();
  const t0 = t1 - 15 * 60 * 1000;
  const x = (t: number) => ((t - t0) / (t1 - t0)) * w;
  const y = (v: number) => h - 4 - (v / max) * (h - 12);
  const d = points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const summary = points.length === 0 ? 'no data yet' : `now ${format(last!)} ${unit}, peak ${format(max)} ${unit}`;
  return (
    <figure class="chart">
      <figcaption>
        <span>{label}</span>
        <strong data-testid={`chart-${label}`}>{last === undefined ? '—' : `${format(last)} ${unit}`}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}, last 15 minutes: ${summary}`} preserveAspectRatio="none">
        <line x1="0" y1={h - 4} x2={w} y2={h - 4} class="axis" />
        {points.length > 1 && <path d={d} class="line" />}
        {points.length === 1 && <circle cx={x(points[0]![0])} cy={y(points[0]![1])} r="2.5" class="dot" />}
      </svg>
      <small class="muted">peak {points.length ? `${format(max)} ${unit}` : '—'} · 15 min</small>
    </figure>
  );
}
