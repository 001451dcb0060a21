import { RateLimiterRedis } from 'rate-limiter-flexible';
import { FlexibleRateLimiter } from '../limits/flexible.js';
import { MemoryRateLimiter } from '../limits/memory.js';
import type { RateDecision, RateLimiter } from '../limits/types.js';
import type { RateLimitSetting } from '../store/types.js';
import type { RedisConnection } from './connection.js';

/**
 * Rate limits shared by every node through Redis (rate-limiter-flexible's atomic INCR + TTL script). While Redis
 * cannot be used (down, or not answering: RedisConnection.isReady) the same limits apply per node, from an
 * in-process limiter answered synchronously; a command that fails or times out is decided by that limiter too.
 * A Redis outage loosens limits by at most the number of nodes and never fails a request.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly shared: FlexibleRateLimiter;
  private readonly local: MemoryRateLimiter;

  constructor(
    private readonly redis: RedisConnection,
    clock: () => number = Date.now,
  ) {
    this.local = new MemoryRateLimiter(clock);
    this.shared = new FlexibleRateLimiter(
      (setting, id) =>
        new RateLimiterRedis({
          storeClient: redis.client,
          points: setting.points,
          duration: setting.duration,
          keyPrefix: redis.key(`rl:${id}`),
          rejectIfRedisNotReady: true,
        }),
      (key, setting) => this.local.consume(key, setting),
    );
  }

  consume(key: string, setting: RateLimitSetting): RateDecision | Promise<RateDecision> {
    if (!this.redis.isReady) return this.local.consume(key, setting);
    return this.shared.consume(key, setting);
  }
}
