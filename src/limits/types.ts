import type { RateLimitSetting } from '../store/types.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window resets, from the moment of the decision. */
  resetMs: number;
  /**
   * Epoch milliseconds at which the current window closes (the limiter's clock): the same for every decision in
   * one window, so the advertised reset time is too.
   */
  resetAt: number;
  /** Window length in seconds (for the RateLimit-Policy field). */
  window: number;
}

/**
 * Rate limiting per key (client id, source IP): in process on one node, Redis behind the same interface for many.
 * The in-process limiter answers synchronously (no promise on the hot path); the Redis one with a promise.
 */
export interface RateLimiter {
  consume(key: string, setting: RateLimitSetting): RateDecision | Promise<RateDecision>;
}

export interface ThrottleState {
  /** Milliseconds the caller must wait before another attempt; 0 = go ahead. */
  retryAfterMs: number;
}

/**
 * Failed-login throttling: growing delays per (username, IP) and per IP. Usernames are compared as the user
 * store does (NFKC, case-insensitive), so spelling variants of one name share a counter.
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
