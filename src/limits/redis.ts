import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { FlexibleRateLimiter } from './flexible.js';
import type { RedisConnection } from '../redis/connection.js';

/**
 * Rate limits shared by every node through Redis (rate-limiter-flexible's atomic INCR + TTL script). Each
 * limiter carries an in-memory insurance limiter: while Redis is not ready the same limits apply per node, so
 * a Redis outage loosens limits by at most the number of nodes and never fails a request.
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  constructor(redis: RedisConnection) {
    super(
      (setting, id) =>
        new RateLimiterRedis({
          storeClient: redis.client,
          points: setting.points,
          duration: setting.duration,
          keyPrefix: redis.key(`rl:${id}`),
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ points: setting.points, duration: setting.duration, keyPrefix: `insurance:${id}` }),
        }),
    );
  }
}
