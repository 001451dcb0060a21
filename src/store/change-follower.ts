import { publicFailureReason } from './errors.js';
import type { Change, ChangeFeed } from './types.js';

export type ChangeHandler = (change: Change) => void | Promise<void>;

/**
 * Follows the change feed so per-process caches learn of changes made by other processes (another node, a
 * worker, the CLI) within one poll interval. Redis pub/sub, when configured, only shortens the delay.
 * A failing poll is retried at the next tick; it never throws into the event loop.
 *
 * Sequence numbers are handed out at insert time but transactions commit in any order (PostgreSQL, READ
 * COMMITTED): after seeing seq 101, seq 100 may still appear. A skipped number is therefore remembered as a gap
 * and looked for again on every poll until it shows up or GAP_WAIT_MS passes (its transaction rolled back).
 */
export class ChangeFollower {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** A poll was asked for while one ran (a nudge): run another right after, or a fresh change could wait a tick. */
  private again = false;
  private healthy = true;
  /** When a poll last read the feed to its end (clock ms): the caches knew every change made before then. */
  private caughtUpAt: number | undefined;
  /** Skipped sequence numbers -> when first noticed (ms). */
  private readonly gaps = new Map<number, number>();
  lastError: string | undefined;

  /** A gap older than this belongs to a rolled-back transaction (statements time out after 10 s). */
  static readonly GAP_WAIT_MS = 60_000;
  /** Bound on remembered gaps: a jump larger than this (a crash-recovered sequence) is not waited for. */
  static readonly MAX_GAPS = 1000;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly handler: ChangeHandler,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get pendingGaps(): number {
    return this.gaps.size;
  }

  async start(): Promise<void> {
    this.caughtUpAt = this.clock();
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
      const now = this.clock();
      const started = now;
      for (const [seq, since] of this.gaps) if (now - since > ChangeFollower.GAP_WAIT_MS) this.gaps.delete(seq);
      let cursor = this.gaps.size > 0 ? Math.min(this.last, ...this.gaps.keys()) - 1 : this.last;
      for (;;) {
        const batch = await this.feed.since(cursor, 1000);
        for (const change of batch) {
          cursor = change.seq;
          if (change.seq <= this.last) {
            // Below the high-water mark: only a gap being filled is new.
            if (!this.gaps.has(change.seq)) continue;
            await this.handler(change);
            this.gaps.delete(change.seq);
          } else {
            for (let s = this.last + 1; s < change.seq && this.gaps.size < ChangeFollower.MAX_GAPS; s++) this.gaps.set(s, now);
            await this.handler(change);
            this.last = change.seq;
          }
        }
        if (batch.length < 1000) break;
      }
      this.healthy = true;
      this.lastError = undefined;
      this.caughtUpAt = started;
    } catch (err) {
      this.healthy = false;
      this.lastError = publicFailureReason(err);
    } finally {
      this.running = false;
      if (this.again && this.timer) {
        this.again = false;
        void this.poll();
      }
    }
  }

  /**
   * Seconds since this process last read the whole feed (0 before start): how old a change may be before its
   * cache invalidation reaches this process. About one poll interval when healthy; grows while the store is unreadable.
   */
  get lagSeconds(): number {
    return this.caughtUpAt === undefined ? 0 : Math.max(0, this.clock() - this.caughtUpAt) / 1000;
  }

  get isHealthy(): boolean {
    return this.healthy;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
