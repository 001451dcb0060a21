import { useEffect, useState } from 'preact/hooks';
import { Chart } from '../chart.js';
import { ring, quantile, totalIssued, WINDOW_MS, type Point } from '../metrics.js';
import { Section } from '../ui.js';
import { scraper } from '../scraper.js';

const GRANT_COLOURS = 6;

function Health({ label, up }: { label: string; up: number | null | undefined }) {
  const state = up === undefined ? 'unknown' : up === null ? 'not configured' : up === 1 ? 'up' : 'down';
  return (
    <li class={`health ${state.replace(' ', '-')}`} data-testid={`health-${label.toLowerCase()}`}>
      <span class="dotmark" aria-hidden="true" />
      {label}: <strong>{state}</strong>
    </li>
  );
}

/** Live numbers of the last 15 minutes from the metrics ring (metrics.ts), redrawn at every scrape. */
export function Overview() {
  const [, setTick] = useState(0);
  useEffect(() => scraper.subscribe(() => setTick((t) => t + 1)), []);
  const points = ring.points;
  const last: Point | undefined = points.at(-1);
  const grants = [...new Set(points.flatMap((p) => Object.keys(p.issuedByGrant)))].sort();
  const first = points[0];
  const issuedInWindow = last && first ? totalIssued(last) - totalIssued(first) : 0;
  const p50 = ring.series((a, b) => quantile(0.5, a.buckets, b.buckets)).map(([t, v]) => [t, v * 1000] as [number, number]);
  const p99 = ring.series((a, b) => quantile(0.99, a.buckets, b.buckets)).map(([t, v]) => [t, v * 1000] as [number, number]);
  return (
    <>
      <Section title="Overview">
        <p class="muted">
          Computed in this browser from <code>/metrics</code> every 5 seconds since the console opened (up to {WINDOW_MS / 60000} minutes kept in memory, starting empty). With several nodes, each scrape is of the node that answers.
        </p>
        {scraper.error && (
          <div class="alert" role="alert">
            {scraper.error}
          </div>
        )}
        <ul class="stats">
          <li>
            Tokens issued (total): <strong data-testid="issued-total">{last ? totalIssued(last) : '—'}</strong>
          </li>
          <li>
            In this window: <strong data-testid="issued-window">{issuedInWindow}</strong>
          </li>
          <li>
            Reuse detections (total): <strong data-testid="reuse-total">{last ? last.reuse : '—'}</strong>
          </li>
          <Health label="Store" up={last ? last.storeUp : undefined} />
          <Health label="Redis" up={last ? last.redisUp : undefined} />
        </ul>
        {points.length < 2 && <p class="empty">Collecting: the charts fill in from the second scrape on.</p>}
      </Section>
      <div class="charts">
        {grants.length === 0 && <Chart label="Tokens/s" unit="/s" points={[]} />}
        {grants.map((g, i) => (
          <div class={`grant c${i % GRANT_COLOURS}`}>
            <Chart label={`Tokens/s ${g}`} unit="/s" points={ring.series((a, b, s) => ((b.issuedByGrant[g] ?? 0) - (a.issuedByGrant[g] ?? 0)) / s)} />
          </div>
        ))}
        <Chart label="Token errors/s" unit="/s" points={ring.series((a, b, s) => (b.errors - a.errors) / s)} />
        <Chart label="Error rate" unit="%" format={(v) => v.toFixed(1)} points={ring.series((a, b) => {
          const errors = b.errors - a.errors;
          const all = errors + totalIssued(b) - totalIssued(a);
          return all > 0 ? (100 * errors) / all : 0;
        })} />
        <Chart label="Reuse detections" unit="" format={(v) => v.toFixed(0)} points={ring.series((a, b) => b.reuse - a.reuse)} />
        <Chart label="p50 latency" unit="ms" points={p50} />
        <Chart label="p99 latency" unit="ms" points={p99} />
      </div>
    </>
  );
}
