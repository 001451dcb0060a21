import { refusalDecision, refusalOf, type CounterState } from './throttle-policy.js';
import type { FailureThrottle, RateDecision, Reservation, ThrottlePolicy, ThrottleTicket } from './types.js';

const settled = (): Promise<void> => Promise.resolve();
const UNTHROTTLED: Reservation = { allowed: true, ticket: { fail: settled, succeed: settled, cancel: settled } };

/**
 * The in-process failure throttle: one counter per (dimension, key) in a Map. Reserving is synchronous, so
 * reservations are atomic by construction; the promise is only for the interface. A counter is forgotten a
 * window after its last attempt; past maxEntries the oldest counter is dropped.
 */
export class MemoryFailureThrottle implements FailureThrottle {
  private readonly counters = new Map<string, CounterState>();

  constructor(
    readonly policy: ThrottlePolicy,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 200_000,
  ) {}

  private names(keys: readonly string[]): string[] {
    return this.policy.dimensions.map((d, i) => `${d.name}:${keys[i]}`);
  }

  /** The live counter under `name`, dropping one whose window has passed. */
  private live(name: string, now: number): CounterState | undefined {
    const c = this.counters.get(name);
    if (c && now - c.last > this.policy.windowMs) {
      this.counters.delete(name);
      return undefined;
    }
    return c;
  }

  private refusal(names: readonly string[], now: number): RateDecision | undefined {
    const r = refusalOf(this.policy, names.map((n) => this.live(n, now)), now);
    return r && refusalDecision(now, r.waitMs, r.dimension, this.policy.windowMs);
  }

  /** Synchronous peek, also used by the Redis throttle to honour failures counted here during an outage. */
  peekNow(keys: readonly string[]): RateDecision | undefined {
    if (!this.policy.enabled) return undefined;
    return this.refusal(this.names(keys), this.clock());
  }

  peek(keys: readonly string[]): Promise<RateDecision | undefined> {
    return Promise.resolve(this.peekNow(keys));
  }

  reserve(keys: readonly string[]): Promise<Reservation> {
    if (!this.policy.enabled) return Promise.resolve(UNTHROTTLED);
    const now = this.clock();
    const names = this.names(keys);
    const decision = this.refusal(names, now);
    if (decision) return Promise.resolve({ allowed: false, decision });
    const previous = names.map((name) => {
      const c = this.live(name, now);
      if (c) {
        const last = c.last;
        c.p++;
        c.last = now;
        return last;
      }
      this.insert(name, { f: 0, p: 1, last: now });
      return undefined;
    });
    return Promise.resolve({ allowed: true, ticket: this.ticket(names, now, previous) });
  }

  private insert(name: string, c: CounterState): void {
    if (this.counters.size >= this.maxEntries) {
      const oldest = this.counters.keys().next().value;
      if (oldest !== undefined) this.counters.delete(oldest);
    }
    this.counters.set(name, c);
  }

  private ticket(names: readonly string[], stamp: number, previous: ReadonlyArray<number | undefined>): ThrottleTicket {
    let done = false;
    const once = (settle: () => void) => (): Promise<void> => {
      if (!done) {
        done = true;
        settle();
      }
      return settled();
    };
    return {
      fail: once(() => names.forEach((name) => this.fail(name))),
      succeed: once(() => names.forEach((name, i) => (this.policy.dimensions[i]!.resetOnSuccess ? this.counters.delete(name) : this.withdraw(name, stamp, previous[i])))),
      cancel: once(() => names.forEach((name, i) => this.withdraw(name, stamp, previous[i]))),
    };
  }

  /** The pending attempt becomes a failure; the delay runs from now (the check may have waited for the KDF). */
  private fail(name: string): void {
    const now = this.clock();
    const c = this.live(name, now);
    if (!c) {
      // Forgotten meanwhile (a success reset the pair): the failure still counts.
      this.insert(name, { f: 1, p: 0, last: now });
      return;
    }
    c.p = Math.max(0, c.p - 1);
    c.f++;
    c.last = Math.max(c.last, now);
  }

  /**
   * The attempt is taken back. Its reservation moved `last` to its own time; when no later attempt has moved it
   * since, it goes back to what it was, so a success does not restart a delay that had already run out.
   */
  private withdraw(name: string, stamp: number, previous: number | undefined): void {
    const c = this.counters.get(name);
    if (!c) return;
    c.p = Math.max(0, c.p - 1);
    if (c.f === 0 && c.p === 0) {
      this.counters.delete(name);
      return;
    }
    if (c.last === stamp && previous !== undefined) c.last = previous;
  }
}
