export interface KidLookupLimits {
  /** A kid is looked up at most once per this many ms (a found kid is in the ring afterwards anyway). */
  perKidIntervalMs: number;
  /** Look-ups of all kids together, per second. */
  maxPerSecond: number;
}

/**
 * A rotated key reaches the other nodes through the change feed (one poll, or a Redis nudge); a node that has
 * not seen it yet would call a token signed with it not ours. Such a node reads the keys from the store once,
 * but a kid is chosen by whoever sends the token: these limits keep made-up kids from turning requests into
 * database reads (once per kid per interval, a few per second in all). Beyond them an unknown kid is answered
 * as before, as not ours; within one poll interval the feed brings the key anyway.
 */
export const KID_LOOKUP_LIMITS: KidLookupLimits = { perKidIntervalMs: 10_000, maxPerSecond: 5 };

/** Our kids are RFC 7638 thumbprints (43 characters); anything much longer is not worth a look-up. */
const MAX_KID_LENGTH = 128;

/** Decides whether an unknown kid may be looked up in the store now (KeyRing.lookup). */
export class KidLookupBudget {
  private readonly lastTried = new Map<string, number>();
  private windowStart = -Infinity;
  private inWindow = 0;

  constructor(
    private readonly limits: KidLookupLimits = KID_LOOKUP_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(kid: string): boolean {
    if (kid.length === 0 || kid.length > MAX_KID_LENGTH) return false;
    const now = this.clock();
    const last = this.lastTried.get(kid);
    if (last !== undefined && now - last < this.limits.perKidIntervalMs) return false;
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.limits.maxPerSecond) return false;
    this.inWindow++;
    // At most maxPerSecond new entries a second: forgetting the stale ones now and then keeps the map small.
    if (this.lastTried.size >= 4 * this.limits.maxPerSecond * Math.ceil(this.limits.perKidIntervalMs / 1000)) {
      for (const [k, t] of this.lastTried) if (now - t >= this.limits.perKidIntervalMs) this.lastTried.delete(k);
    }
    this.lastTried.set(kid, now);
    return true;
  }
}
