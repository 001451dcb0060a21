import type { ClientAuthThrottle } from './client-auth-throttle.js';
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

/** One counter of a failure throttle: its allowance and the delays after it. */
export interface ThrottleDimension {
  /** Key namespace of this counter ('pair', 'address', 'client'). */
  readonly name: string;
  /** Failures allowed before delays start. */
  readonly freeAttempts: number;
  /** First delay (ms) once the allowance is spent, doubled per further failure up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A success forgets this counter (the credential's own pair) instead of only withdrawing its own attempt. */
  readonly resetOnSuccess: boolean;
  /**
   * Counts against an attempt only when the policy's first counter (the pair) already holds a settled failure: a
   * per-client counter that slows the addresses that have failed for the client, never one that has not.
   */
  readonly onlyAfterFailure: boolean;
}

/** A failure throttle's rules: its counters, in the order reserve() takes their keys. */
export interface ThrottlePolicy {
  /** Namespace of its keys (Redis: `<prefix><name>:<dimension>:<key>`). */
  readonly name: string;
  readonly enabled: boolean;
  /** A counter is forgotten this many ms after its last attempt. */
  readonly windowMs: number;
  readonly dimensions: readonly ThrottleDimension[];
}

/**
 * A reserved attempt. Until it is settled it counts as a failure in every counter, so parallel attempts see
 * each other before any of them is checked; settle it exactly once.
 */
export interface ThrottleTicket {
  /** The credential was wrong: the attempt stays counted, as a failure. */
  fail(): Promise<void>;
  /** The credential was right: the attempt is withdrawn, and counters that reset on success are forgotten. */
  succeed(): Promise<void>;
  /** Nothing was decided (an outage, a malformed request): the attempt is withdrawn. */
  cancel(): Promise<void>;
}

export type Reservation = { allowed: true; ticket: ThrottleTicket } | { allowed: false; decision: RateDecision };

/**
 * Growing delays after failed credential checks, per counter (RFC 6749 §10.10: prevent guessing). An attempt is
 * reserved atomically before the credential is checked, so a burst of parallel guesses cannot all pass before
 * the first failure is recorded. In process on one node, Redis behind the same interface for many.
 */
export interface FailureThrottle {
  readonly policy: ThrottlePolicy;
  /** keys[i] is the key of policy.dimensions[i]. A refusal carries the wait as a rate-limit decision. */
  reserve(keys: readonly string[]): Promise<Reservation>;
  /** The refusal a reservation would meet now, without reserving (undefined: go ahead). */
  peek(keys: readonly string[]): Promise<RateDecision | undefined>;
}

export interface Limits {
  rate: RateLimiter;
  /** Failed logins (password grant), per (username, address) and, much looser, per address. */
  login: FailureThrottle;
  /** Failed client authentication, per (client, address) and per client (client-auth-throttle.ts). */
  clientAuth: ClientAuthThrottle;
  /** Failed bearer-token checks at the admin API and the registration endpoint, per address (bearerPolicy). */
  bearer: FailureThrottle;
}
