import type { RateLimitSetting } from '../store/types.js';
import { PerSetting } from './per-setting.js';
import type { LoginThrottle, RateDecision, RateLimiter, ThrottleState } from './types.js';

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

export interface ThrottleSettings {
  enabled: boolean;
  freeAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  window: number;
}

interface Failures {
  count: number;
  last: number;
}

/** How long to wait after `count` failures: nothing for the free attempts, then base x 2^n, capped. */
export function throttleDelay(count: number, s: ThrottleSettings): number {
  if (count <= s.freeAttempts) return 0;
  return Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** Math.min(30, count - s.freeAttempts - 1));
}

/** The same normalisation as the user store's unique key, so "JDoe" and "ｊｄｏｅ" share one counter. */
/** The throttle's per-user key uses the same normalisation as the user store (NFKC, case-insensitive). */
export function userKey(username: string, ip: string): string {
  return `u:${username.normalize('NFKC').toLowerCase()}|${ip}`;
}

/**
 * Growing delays after failed logins, per (username, IP) pair and, with four times the allowance, per IP.
 * Keying the user counter by pair means an attacker elsewhere slows only themselves: the real user can still
 * log in from their own address.
 */
export class MemoryLoginThrottle implements LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 200_000,
  ) {}

  private waitFor(key: string, allowanceFactor: number): number {
    const f = this.failures.get(key);
    if (!f) return 0;
    const now = this.clock();
    if (now - f.last > this.settings.window * 1000) {
      this.failures.delete(key);
      return 0;
    }
    const delay = throttleDelay(f.count, { ...this.settings, freeAttempts: this.settings.freeAttempts * allowanceFactor });
    return Math.max(0, f.last + delay - now);
  }

  async check(username: string, ip: string): Promise<ThrottleState> {
    if (!this.settings.enabled) return { retryAfterMs: 0 };
    return { retryAfterMs: Math.max(this.waitFor(userKey(username, ip), 1), this.waitFor(`ip:${ip}`, 4)) };
  }

  private bump(key: string): void {
    const now = this.clock();
    const f = this.failures.get(key);
    if (f && now - f.last <= this.settings.window * 1000) {
      f.count++;
      f.last = now;
      return;
    }
    if (this.failures.size >= this.maxEntries) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(key, { count: 1, last: now });
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    this.bump(userKey(username, ip));
    this.bump(`ip:${ip}`);
  }

  async recordSuccess(username: string, ip: string): Promise<void> {
    this.failures.delete(userKey(username, ip));
  }
}
