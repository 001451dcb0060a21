import type { ReplayGuard } from '../oauth/replay-guard.js';
import type { RedisConnection } from './connection.js';

/**
 * Single-use values in Redis: SET NX with an absolute expiry, one round trip. While Redis is down the store's
 * guard decides. Keys first seen by the store during an outage are still checked against the store afterwards
 * (until the last of them expires), so a value used during the outage cannot be replayed once Redis is back.
 */
export class RedisReplayGuard implements ReplayGuard {
  private storeCheckedUntil = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly fallback: ReplayGuard,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  private async viaStore(key: string, expiresAt: number): Promise<boolean> {
    this.storeCheckedUntil = Math.max(this.storeCheckedUntil, expiresAt);
    return this.fallback.firstUse(key, expiresAt);
  }

  async firstUse(key: string, expiresAt: number): Promise<boolean> {
    const now = this.nowSeconds();
    if (expiresAt <= now) return false;
    if (!this.redis.isReady) return this.viaStore(key, expiresAt);
    let first: boolean;
    try {
      first = (await this.redis.client.set(this.redis.key(`rp:${key}`), '1', 'PXAT', expiresAt * 1000, 'NX')) === 'OK';
    } catch {
      return this.viaStore(key, expiresAt);
    }
    if (!first) return false;
    if (now < this.storeCheckedUntil) return this.fallback.firstUse(key, expiresAt);
    return true;
  }
}
