import type { RateLimitSetting } from '../store/types.js';
import { PerSetting } from './per-setting.js';
import type { RateDecision, RateLimiter } from './types.js';

interface Window {
  /** Requests counted in this window, refused ones included (as rate-limiter-flexible counts them). */
  count: number;
  /** Epoch ms at which the window closes. */
  resetAt: number;
}

/** The windows of one (points, duration) setting, keyed by "ip:..." / "client:...". */
class WindowTable {
  readonly windows = new Map<string, Window>();
  /** Size at which the next insertion first drops closed windows (amortised O(1), no timer per key). */
  sweepAt: number;

  constructor(readonly minSweep: number) {
    this.sweepAt = minSweep;
  }

  sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    this.sweepAt = Math.max(this.minSweep, this.windows.size * 2);
  }
}

/**
 * The in-process limiter: a fixed window per key that opens at the key's first request and lasts the setting's
 * duration, the same counting as rate-limiter-flexible's memory limiter (which the Redis limiter keeps as its
 * insurance), answered synchronously. rate-limiter-flexible's memory limiter answers every call through a
 * promise and arms a timer per key and window; on one node a Map is all a fixed window needs, and the token
 * and introspection endpoints consult it twice per request. Closed windows are dropped when the table has
 * doubled since the last sweep, so memory follows the keys active in the last window.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tables: PerSetting<WindowTable>;

  constructor(
    private readonly clock: () => number = Date.now,
    minSweep = 10_000,
  ) {
    this.tables = new PerSetting(() => new WindowTable(minSweep));
  }

  /** Keys with an open window (all settings): what the limiter holds in memory. */
  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.windows.size;
    return n;
  }

  consume(key: string, setting: RateLimitSetting): RateDecision {
    const t = this.tables.get(setting);
    const now = this.clock();
    let w = t.windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (w === undefined && t.windows.size >= t.sweepAt) t.sweep(now);
      w = { count: 0, resetAt: now + setting.duration * 1000 };
      t.windows.set(key, w);
    }
    w.count++;
    const allowed = w.count <= setting.points;
    return { allowed, limit: setting.points, remaining: allowed ? setting.points - w.count : 0, resetMs: w.resetAt - now, resetAt: w.resetAt, window: setting.duration };
  }
}
