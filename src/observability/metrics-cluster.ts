import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from './metrics.js';

/**
 * With `--workers N` a scrape reaches one worker, but its numbers must be the node's. The worker asks the
 * primary (IPC), the primary asks every live worker for its metrics as JSON, sums them with prom-client's
 * AggregatorRegistry.aggregate (counters and histograms summed; process metrics by their own aggregators) and
 * sends the text back. A worker that does not answer in time fails the scrape (503) rather than yielding a
 * silently partial sum.
 */

const SCRAPE = 'tessera:metrics:scrape';
const SCRAPED = 'tessera:metrics:scraped';
const COLLECT = 'tessera:metrics:collect';
const COLLECTED = 'tessera:metrics:collected';

/** How long the primary waits for every worker's metrics, and a worker for the primary's answer. */
export const CLUSTER_SCRAPE_TIMEOUT_MS = 3000;

interface Message {
  type?: unknown;
  id?: unknown;
  text?: unknown;
  error?: unknown;
  metrics?: unknown;
}

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null;

/** Worker side: answer the primary's COLLECT with this process's metrics; stop() removes the listener. */
export function answerCollects(metrics: Metrics): () => void {
  const onMessage = (m: unknown): void => {
    if (!isMessage(m) || m.type !== COLLECT) return;
    metrics.snapshot().then(
      (json) => process.send?.({ type: COLLECTED, id: m.id, metrics: json }),
      (err: unknown) => process.send?.({ type: COLLECTED, id: m.id, error: (err as Error).message }),
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** Worker side: the whole node's metrics, summed by the primary. */
export function scrapeNode(timeoutMs = CLUSTER_SCRAPE_TIMEOUT_MS + 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = randomUUID();
    const done = (err: Error | undefined, text?: string): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (err) reject(err);
      else resolve(text!);
    };
    const onMessage = (m: unknown): void => {
      if (!isMessage(m) || m.type !== SCRAPED || m.id !== id) return;
      if (typeof m.text === 'string') done(undefined, m.text);
      else done(new Error(`the cluster primary could not sum the workers' metrics: ${String(m.error)}`));
    };
    const timer = setTimeout(() => done(new Error('the cluster primary did not answer the metrics scrape in time')), timeoutMs);
    process.on('message', onMessage);
    if (!process.send?.({ type: SCRAPE, id })) done(new Error('no cluster primary to ask for the node\'s metrics'));
  });
}

/** Primary side: asks every connected worker for its metrics and sums them. */
function collectAll(timeoutMs: number): Promise<string> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  if (workers.length === 0) return Promise.reject(new Error('no worker is running'));
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const pending = new Set(workers);
    const parts: unknown[][] = [];
    const done = (err: Error | undefined): void => {
      clearTimeout(timer);
      cluster.off('message', onMessage);
      if (err) {
        reject(err);
        return;
      }
      AggregatorRegistry.aggregate(parts as never).metrics().then(resolve, reject);
    };
    const onMessage = (worker: Worker, m: unknown): void => {
      if (!isMessage(m) || m.type !== COLLECTED || m.id !== id || !pending.has(worker)) return;
      if (!Array.isArray(m.metrics)) {
        done(new Error(`worker ${worker.id}: ${String(m.error)}`));
        return;
      }
      pending.delete(worker);
      parts.push(m.metrics as unknown[]);
      if (pending.size === 0) done(undefined);
    };
    const timer = setTimeout(() => done(new Error(`${pending.size} of ${workers.length} workers did not send their metrics in time`)), timeoutMs);
    cluster.on('message', onMessage);
    // A worker that exits meanwhile never answers: the timeout fails the scrape, which the next one retries.
    for (const w of workers) w.send({ type: COLLECT, id });
  });
}

/** Primary side: serves the workers' scrape requests for as long as it runs. */
export function serveClusterScrapes(timeoutMs = CLUSTER_SCRAPE_TIMEOUT_MS): void {
  cluster.on('message', (worker: Worker, m: unknown) => {
    if (!isMessage(m) || m.type !== SCRAPE) return;
    collectAll(timeoutMs).then(
      (text) => worker.isConnected() && worker.send({ type: SCRAPED, id: m.id, text }),
      (err: unknown) => worker.isConnected() && worker.send({ type: SCRAPED, id: m.id, error: (err as Error).message }),
    );
  });
}
