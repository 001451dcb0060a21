import type { Change, ChangeFeed } from './types.js';

export type ChangeHandler = (change: Change) => void | Promise<void>;

/**
 * Follows the change feed so per-process caches learn of changes made by other processes (another node, a
 * worker, the CLI) within one poll interval. Redis pub/sub, when configured, only shortens the delay.
 * A failing poll is retried at the next tick; it never throws into the event loop.
 */
export class ChangeFollower {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** A poll was asked for while one ran (a nudge): run another right after, or a fresh change could wait a tick. */
  private again = false;
  private healthy = true;
  lastError: string | undefined;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly handler: ChangeHandler,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    this.last = await this.feed.latest();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads and dispatches every change since the last one seen. */
  async poll(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (;;) {
        const batch = await this.feed.since(this.last, 1000);
        for (const change of batch) {
          await this.handler(change);
          this.last = change.seq;
        }
        if (batch.length < 1000) break;
      }
      this.healthy = true;
      this.lastError = undefined;
    } catch (err) {
      this.healthy = false;
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.running = false;
      if (this.again && this.timer) {
        this.again = false;
        void this.poll();
      }
    }
  }

  get isHealthy(): boolean {
    return this.healthy;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
