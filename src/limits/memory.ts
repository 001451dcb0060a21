import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { LoginThrottle, ThrottleState } from './types.js';
import { FlexibleRateLimiter } from './flexible.js';

/** rate-limiter-flexible's in-process limiter. */
export class MemoryRateLimiter extends FlexibleRateLimiter {
  constructor() {
    super((setting, id) => new RateLimiterMemory({ points: setting.points, duration: setting.duration, keyPrefix: id }));
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
