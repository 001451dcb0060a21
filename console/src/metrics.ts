/**
 * The Overview's numbers, from /metrics scrapes parsed here in the browser: a ring of the last 15 minutes of
 * samples kept in memory (it starts empty when the console opens; nothing is stored). Rates are differences
 * between consecutive samples, so a counter reset (a restart) shows as a gap, not a negative rate.
 */
export const WINDOW_MS = 15 * 60 * 1000;
export const SCRAPE_MS = 5000;

/** One series: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The Prometheus text exposition format: every sample line (comments and blank lines skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** What the Overview needs of one scrape. */
export interface Point {
  t: number;
  issuedByGrant: Record<string, number>;
  errors: number;
  reuse: number;
  /** The token endpoint's duration histogram: upper bound -> cumulative count. */
  buckets: Map<number, number>;
  storeUp: number | null;
  redisUp: number | null;
}

const TOKEN_ROUTE = '/oauth/token';

export function pointOf(t: number, samples: Sample[]): Point {
  const p: Point = { t, issuedByGrant: {}, errors: 0, reuse: 0, buckets: new Map(), storeUp: null, redisUp: null };
  for (const s of samples) {
    switch (s.name) {
      case 'tessera_tokens_issued_total': {
        const g = s.labels.grant_type ?? 'unknown';
        p.issuedByGrant[g] = (p.issuedByGrant[g] ?? 0) + s.value;
        break;
      }
      case 'tessera_token_errors_total':
        p.errors += s.value;
        break;
      case 'tessera_refresh_reuse_detected_total':
        p.reuse += s.value;
        break;
      case 'tessera_http_request_duration_seconds_bucket':
        if (s.labels.route === TOKEN_ROUTE) {
          const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
          p.buckets.set(le, (p.buckets.get(le) ?? 0) + s.value);
        }
        break;
      case 'tessera_store_up':
        p.storeUp = s.value;
        break;
      case 'tessera_redis_up':
        p.redisUp = s.value;
        break;
    }
  }
  return p;
}

export const totalIssued = (p: Point): number => Object.values(p.issuedByGrant).reduce((a, b) => a + b, 0);

/** The q-quantile (0..1) of the observations between two cumulative histograms, by linear interpolation in the bucket. */
export function quantile(q: number, from: Map<number, number> | undefined, to: Map<number, number>): number | null {
  const bounds = [...to.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (to.get(b) ?? 0) - (from?.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = counts[i]!;
    if (c >= rank) {
      const b = bounds[i]!;
      if (b === Infinity) return prevBound;
      const inBucket = c - prevCount;
      return inBucket <= 0 ? b : prevBound + ((b - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = bounds[i]!;
    prevCount = c;
  }
  return prevBound;
}

/** The ring: the scrapes of the last 15 minutes. */
export class MetricsRing {
  readonly points: Point[] = [];
  add(p: Point): void {
    this.points.push(p);
    while (this.points.length > 0 && this.points[0]!.t < p.t - WINDOW_MS) this.points.shift();
  }
  /** Per interval between consecutive scrapes: [time, value]; a negative difference (restart) is left out. */
  series(f: (a: Point, b: Point, seconds: number) => number | null): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 1; i < this.points.length; i++) {
      const a = this.points[i - 1]!;
      const b = this.points[i]!;
      const v = f(a, b, (b.t - a.t) / 1000);
      if (v !== null && Number.isFinite(v) && v >= 0) out.push([b.t, v]);
    }
    return out;
  }
}

/** The shared ring, filled while the Overview or any page is open (app.tsx starts the scraper after sign-in). */
export const ring = new MetricsRing();
