import type { RateLimitSetting } from '../store/types.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window resets. */
  resetMs: number;
  /** Window length in seconds (for the RateLimit-Policy field). */
  window: number;
}

/** Rate limiting per key (client id, source IP). Memory now; Redis behind the same interface for many nodes. */
export interface RateLimiter {
  consume(key: string, setting: RateLimitSetting): Promise<RateDecision>;
}

export interface ThrottleState {
  /** Milliseconds the caller must wait before another attempt; 0 = go ahead. */
  retryAfterMs: number;
}

/**
 * Failed-login throttling: growing delays per (username, IP) and per IP.
 * Protocol for callers (grants/password.ts): check(); if allowed, recordFailure() at once, BEFORE verifying the
 * password, so concurrent guesses see each other's attempts (otherwise a burst of parallel requests all pass
 * check() together); after a correct password, recordSuccess() forgets the (username, IP) failures and takes
 * that one pending attempt back from the IP counter.
 */
export interface LoginThrottle {
  check(username: string, ip: string): Promise<ThrottleState>;
  recordFailure(username: string, ip: string): Promise<void>;
  recordSuccess(username: string, ip: string): Promise<void>;
}

export interface Limits {
  rate: RateLimiter;
  login: LoginThrottle;
}
