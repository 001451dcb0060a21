import { scrapeMetrics } from './api.js';
import { parsePrometheus, pointOf, ring, SCRAPE_MS } from './metrics.js';

/** Scrapes /metrics every 5 s while signed in, into the ring; the Overview subscribes to redraw. */
class Scraper {
  error: string | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly subscribers = new Set<() => void>();

  start(): void {
    if (this.timer) return;
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), SCRAPE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    ring.points.length = 0;
  }

  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    return () => void this.subscribers.delete(fn);
  }

  async scrape(): Promise<void> {
    try {
      ring.add(pointOf(Date.now(), parsePrometheus(await scrapeMetrics())));
      this.error = null;
    } catch (err) {
      this.error = `Metrics unavailable: ${(err as Error).message}`;
    }
    this.subscribers.forEach((fn) => fn());
  }
}

export const scraper = new Scraper();
