import { clientAuthKeys } from './throttle-policy.js';
import type { FailureThrottle, RateDecision, Reservation } from './types.js';

export type ClientIdentityKind = 'client' | 'api_key';

/**
 * The failure throttle of client authentication, plus what this process has seen fail.
 *
 * The hot path answers a remembered client secret (one that verified before) without a promise. Such a secret is
 * right by construction, so it needs no reservation; but while guesses for the client are being refused, a right
 * guess must be refused too, or the throttle would answer the one question the attacker asks. Asking the
 * throttle (a Redis round trip) on every request would cost the hot path, so each process remembers the clients
 * it has seen a failure or a refusal for in the last window, and only for those does a remembered secret wait
 * for peek(). Guesses reach every node behind a load balancer, so every node learns of an attack from its own
 * traffic.
 */
export class ClientAuthThrottle {
  /** Client id -> epoch ms until which this process treats it as under attack. */
  private readonly failing = new Map<string, number>();

  constructor(
    readonly throttle: FailureThrottle,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  /** True when no failure for this client was seen here within the window (the steady state: one size check). */
  quiet(clientId: string): boolean {
    if (this.failing.size === 0) return true;
    const until = this.failing.get(clientId);
    if (until === undefined) return true;
    if (until > this.clock()) return false;
    this.failing.delete(clientId);
    return true;
  }

  /** A failure or a refusal for this client was seen here. */
  noteFailure(kind: ClientIdentityKind, id: string): void {
    if (kind !== 'client' || !this.throttle.policy.enabled) return;
    if (!this.failing.has(id) && this.failing.size >= this.maxEntries) {
      const oldest = this.failing.keys().next().value;
      if (oldest !== undefined) this.failing.delete(oldest);
    }
    this.failing.delete(id);
    this.failing.set(id, this.clock() + this.throttle.policy.windowMs);
  }

  reserve(kind: ClientIdentityKind, id: string, ip: string): Promise<Reservation> {
    return this.throttle.reserve(clientAuthKeys(kind, id, ip));
  }

  peek(kind: ClientIdentityKind, id: string, ip: string): Promise<RateDecision | undefined> {
    return this.throttle.peek(clientAuthKeys(kind, id, ip));
  }
}
