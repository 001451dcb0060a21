import type { RateDecision, Reservation } from '../limits/types.js';
import { OAuthError } from './errors.js';

/** Whole seconds from the decision's second to its reset (the Retry-After the rate-limit headers agree with). */
function retryAfterSeconds(d: RateDecision): number {
  return Math.max(1, Math.ceil(d.resetAt / 1000) - Math.floor((d.resetAt - d.resetMs) / 1000));
}

/**
 * A failure throttle's refusal: 429 with Retry-After (RFC 6585 §4), carrying the decision so the HTTP layer adds
 * the same X-Rate-Limit-* / RateLimit fields as a rate-limit refusal (http/rate-limit.ts). A 429 rather than a
 * silent server-side sleep: sleeping would hold a connection per guess (cheap for an attacker, costly for us),
 * and a well-behaved client learns when to try again.
 */
export class ThrottledError extends OAuthError {
  constructor(
    what: string,
    readonly decision: RateDecision,
  ) {
    const seconds = retryAfterSeconds(decision);
    super('too_many_requests', `Too many failed ${what} attempts; retry in ${seconds} s`, 429, { 'retry-after': String(seconds) });
  }
}

export interface ThrottledCheck<T> {
  /** What is being guessed, for the refusal's description ('login', 'client authentication'). */
  what: string;
  /** The credential check; runs only once the attempt is reserved. */
  check: () => Promise<T>;
  /** A result that means the credential was wrong. */
  failed: (result: T) => boolean;
  /** A thrown error that means the credential was wrong (anything else withdraws the attempt). */
  failedError?: (err: unknown) => boolean;
  /** Called on a refusal or a failure (ClientAuthThrottle.noteFailure). */
  onFailure?: () => void;
}

/**
 * One credential check under a throttle reservation (RFC 6749 §10.10): the attempt is reserved before the check
 * (and so before any KDF), refused with ThrottledError while a delay runs, and settled by its outcome: a wrong
 * credential stays counted, a right one is withdrawn, an undecided one (a 503, a malformed request) is withdrawn
 * too, so an outage never counts against anyone.
 */
export async function throttledCheck<T>(reservation: Promise<Reservation>, c: ThrottledCheck<T>): Promise<T> {
  const r = await reservation;
  if (!r.allowed) {
    c.onFailure?.();
    throw new ThrottledError(c.what, r.decision);
  }
  let result: T;
  try {
    result = await c.check();
  } catch (err) {
    if (c.failedError?.(err)) {
      c.onFailure?.();
      await r.ticket.fail();
    } else {
      await r.ticket.cancel();
    }
    throw err;
  }
  if (c.failed(result)) {
    c.onFailure?.();
    await r.ticket.fail();
  } else {
    await r.ticket.succeed();
  }
  return result;
}
