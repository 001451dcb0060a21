import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * RFC 9449 §8 server nonces without shared state: a nonce is the HMAC of a time window's number under a key every
 * node derives from the master key, so any node accepts what any other issued, with no store or Redis. A nonce
 * is accepted in the window it was made for and the windows either side of it (a node whose clock runs a little
 * ahead, a client that fetched it just before the window turned): it lives one to two lifetimes. The current
 * window's nonce is computed once per window, not per request.
 */
export class DpopNonces {
  private readonly key: Buffer;
  private cached: { window: number; nonce: string } = { window: -1, nonce: '' };

  constructor(
    masterKey: Buffer,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera dpop nonce v1', 32));
  }

  private windowNow(): number {
    return Math.floor(this.now() / this.lifetimeSeconds);
  }

  private nonceFor(window: number): string {
    return createHmac('sha256', this.key).update(String(window)).digest('base64url');
  }

  /** The nonce to hand out now (DPoP-Nonce header). */
  current(): string {
    const window = this.windowNow();
    if (this.cached.window !== window) this.cached = { window, nonce: this.nonceFor(window) };
    return this.cached.nonce;
  }

  /** Whether `nonce` is one this server (any node) issued for a window still accepted. */
  accepts(nonce: string): boolean {
    if (nonce.length !== 43) return false;
    const presented = Buffer.from(nonce);
    const window = this.windowNow();
    for (const w of [window, window - 1, window + 1]) {
      const expected = Buffer.from(w === window ? this.current() : this.nonceFor(w));
      if (timingSafeEqual(presented, expected)) return true;
    }
    return false;
  }
}
