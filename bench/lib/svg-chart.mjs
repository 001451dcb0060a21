// Hand-written SVG line charts (no dependencies).
// renderSweepChart() draws two panels side by side: throughput vs concurrency
// and p99 latency vs concurrency, one line per target, log2 x axis.

const PALETTE = {
  tessera: '#d62728',
  'tessera-opaque': '#ff7f0e',
  'oidc-provider-jwt': '#1f77b4',
  'oidc-provider-opaque': '#17becf',
  'bare-fastify': '#2ca02c',
  'bare-http': '#7f7f7f',
};
const EXTRA = ['#9467bd', '#8c564b', '#e377c2', '#bcbd22'];

export function colorFor(name, i = 0) {
  return PALETTE[name] || EXTRA[i % EXTRA.length];
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "Nice" axis ticks from 0 to >= max. */
export function niceTicks(max, target = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmtNum(v) {
  if (v >= 10000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  if (v >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

/**
 * One panel. series: [{ name, color, points: [{ x, y }] }]
 * Returns SVG elements translated to (ox, oy).
 */
/** Decade ticks (1-2-5 within a decade when the range is small) covering [min, max]. */
export function logTicks(min, max) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const mult = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let e = lo; e <= hi; e++) for (const k of mult) {
    const v = Number((k * 10 ** e).toPrecision(6));
    if (v <= 10 ** hi) ticks.push(v);
  }
  return { ticks, lo, hi };
}

function panel({ ox, oy, width, height, title, xLabel, yLabel, xValues, series, yLog = false }) {
  const m = { left: 64, right: 16, top: 30, bottom: 46 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => Number.isFinite(y) && (!yLog || y > 0));
  let ticks;
  let sy;
  if (yLog) {
    const lt = logTicks(ys.length ? Math.min(...ys) : 1, ys.length ? Math.max(...ys) : 10);
    ticks = lt.ticks;
    sy = (y) => m.top + h - ((Math.log10(y) - lt.lo) / (lt.hi - lt.lo)) * h;
  } else {
    ticks = niceTicks(ys.length ? Math.max(...ys) : 1);
    const yMax = ticks[ticks.length - 1] || 1;
    sy = (y) => m.top + h - (y / yMax) * h;
  }
  const lx = xValues.map((x) => Math.log2(x));
  const xMin = Math.min(...lx);
  const xMax = Math.max(...lx);
  const sx = (x) => m.left + (xMax === xMin ? w / 2 : ((Math.log2(x) - xMin) / (xMax - xMin)) * w);
  const out = [];
  out.push(`<g transform="translate(${ox},${oy})">`);
  out.push(`<text x="${m.left + w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // grid + y ticks
  for (const t of ticks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + w}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${fmtNum(t)}</text>`);
  }
  // x ticks
  for (const x of xValues) {
    const X = sx(x).toFixed(1);
    out.push(`<line x1="${X}" y1="${m.top}" x2="${X}" y2="${m.top + h}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${X}" y1="${m.top + h}" x2="${X}" y2="${m.top + h + 5}" stroke="#333"/>`);
    out.push(`<text x="${X}" y="${m.top + h + 18}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  // axes
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + h}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top + h}" x2="${m.left + w}" y2="${m.top + h}" stroke="#333"/>`);
  out.push(`<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14,${m.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  // lines
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y) && (!yLog || p.y > 0)).sort((a, b) => a.x - b.x);
    if (!pts.length) continue;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.name)} @${p.x}: ${fmtNum(p.y)}</title></circle>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

/**
 * points: [{ target, connections, rps, p99 }]
 * Returns a complete standalone SVG document.
 */
export function renderSweepChart({ title, subtitle = '', points }) {
  const names = [...new Set(points.map((p) => p.target))];
  const xValues = [...new Set(points.map((p) => p.connections))].sort((a, b) => a - b);
  const seriesFor = (key) => names.map((name, i) => ({
    name,
    color: colorFor(name, i),
    points: points.filter((p) => p.target === name).map((p) => ({ x: p.connections, y: p[key] })),
  }));
  const W = 1000;
  const PH = 380;
  const legendRows = Math.ceil(names.length / 3);
  const H = 50 + PH + 16 + legendRows * 20 + 10;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) parts.push(`<text x="${W / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  parts.push(panel({ ox: 0, oy: 50, width: W / 2, height: PH, title: 'Throughput vs concurrency', xLabel: 'concurrent connections (log scale)', yLabel: 'requests / second', xValues, series: seriesFor('rps') }));
  parts.push(panel({ ox: W / 2, oy: 50, width: W / 2, height: PH, title: 'p99 latency vs concurrency', xLabel: 'concurrent connections (log scale)', yLabel: 'p99 latency (ms, log scale)', xValues, series: seriesFor('p99'), yLog: true }));
  names.forEach((name, i) => {
    const col = i % 3;
    const row = Math.floor(i / 3);
    const x = 120 + col * 280;
    const y = 50 + PH + 20 + row * 20;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${colorFor(name, i)}" stroke-width="3"/>`);
    parts.push(`<circle cx="${x + 12}" cy="${y}" r="3.5" fill="${colorFor(name, i)}"/>`);
    parts.push(`<text x="${x + 32}" y="${y + 4}" font-size="12">${esc(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
